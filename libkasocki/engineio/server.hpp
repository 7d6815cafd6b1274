// The Engine.IO server: validates requests, owns the session table, and adapts long-polling
// requests and websocket connections to sessions (server_polling.cpp, server_websocket.cpp).
// Does socket I/O through Boost.Beast; runs on the single event-loop thread.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "libkasocki/engineio/errors.hpp"
#include "libkasocki/engineio/options.hpp"
#include "libkasocki/engineio/server_query.hpp"
#include "libkasocki/engineio/server_stream.hpp"
#include "libkasocki/engineio/session.hpp"

namespace kasocki::engineio {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

// What a connection handler tells the HTTP layer to do next.
enum class connection_next { keep_alive, close };

class server {
 public:
  // Called for every new session, before its first packet; the handshake request is there for
  // query parameters and headers (auth for EIO=3, client address).
  using connection_handler =
      std::function<void(const std::shared_ptr<session>&, const http_request& handshake)>;
  // What the application answers to a new handshake (limits): `status` 0 admits it, and the
  // session holds `ticket` until it ends; any other status refuses it with that HTTP status and
  // `body` (JSON).
  struct admission {
    unsigned status = 0;
    std::string body;
    std::shared_ptr<void> ticket;
  };
  // Called for every handshake (polling or websocket) with the socket's peer address.
  using admission_handler =
      std::function<admission(const http_request& handshake, const boost::asio::ip::address& peer)>;

  server(boost::asio::any_io_executor executor, server_options options);

  void on_connection(connection_handler handler) { on_connection_ = std::move(handler); }
  void on_admission(admission_handler handler) { on_admission_ = std::move(handler); }

  // Serves one HTTP request addressed to the Engine.IO path. A websocket upgrade takes the
  // stream over and returns when the websocket is done.
  boost::asio::awaitable<connection_next> handle(plain_or_tls_stream& stream,
                                                 http_request& request);

  // A request whose body exceeded maxPayload (the listener answers 413): its session ends.
  void payload_too_large(const http_request& headers);

  // Closes every session (server close: clients get a close packet).
  void close_all();
  // Ends every session at once (no close packet): for the last step of a shutdown.
  void end_all();
  std::size_t session_count() const { return sessions_.size(); }
  // The open sessions by id (for metrics: transport and protocol of each).
  const std::unordered_map<std::string, std::shared_ptr<session>>& sessions() const {
    return sessions_;
  }
  const server_options& options() const { return options_; }
  // Bytes queued for clients and not yet written, over all open sessions (for metrics).
  std::size_t queued_bytes() const;
  // The most bytes one session has held queued since the server started (for metrics: how
  // close sessions come to their bound).
  std::size_t peak_queued_bytes() const;

 private:
  using query = request_query;
  boost::asio::awaitable<connection_next> handle_polling(plain_or_tls_stream& stream,
                                                         http_request& request, const query& q);
  boost::asio::awaitable<connection_next> long_poll(plain_or_tls_stream& stream,
                                                    http_request& request, const query& q,
                                                    std::shared_ptr<session> s);
  boost::asio::awaitable<connection_next> handle_websocket(plain_or_tls_stream& stream,
                                                           http_request& request, const query& q);
  std::shared_ptr<session> create_session(int protocol, transport_kind transport,
                                          const http_request& handshake,
                                          std::shared_ptr<void> ticket);
  // Runs the admission handler: the refusal response, or nullopt with `ticket` set.
  std::optional<http_response> admit(plain_or_tls_stream& stream, const http_request& request,
                                     std::shared_ptr<void>& ticket);
  std::string open_packet_data(const session& s) const;
  std::shared_ptr<session> find(const std::string& sid) const;

  boost::asio::awaitable<connection_next> respond(plain_or_tls_stream& stream,
                                                  const http_request& request,
                                                  http_response response);
  http_response error_response(const http_request& request, http_error e) const;
  void add_cors(const http_request& request, http_response& response) const;

  boost::asio::any_io_executor executor_;
  server_options options_;
  std::unordered_map<std::string, std::shared_ptr<session>> sessions_;
  std::size_t peak_of_ended_ = 0;  // peak_queued_bytes of the sessions already ended
  connection_handler on_connection_;
  admission_handler on_admission_;
};

// A session id: 20 characters of base64url from a cryptographic random source.
std::string make_session_id();

}  // namespace kasocki::engineio
