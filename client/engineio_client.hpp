// Engine.IO v4 client session over websocket, or long-polling (with or without an upgrade to
// websocket). Does I/O: runs coroutines on the caller's executor, which must be single-threaded
// (an io_context run by one thread, or a strand). Handlers run on that executor.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include "client/url.hpp"

namespace kasocki::client {

enum class transport_mode {
  websocket,     // transport=websocket from the first request
  polling,       // long-polling handshake, then upgrade to websocket when the server offers it
  polling_only,  // long-polling for the whole session
};

struct engineio_options {
  transport_mode transport = transport_mode::websocket;
  std::chrono::milliseconds open_timeout{10'000};  // TCP connect + handshake + upgrade probe
  std::size_t max_message_size = 64 << 20;         // bytes, per websocket frame / polling body
  // Bytes of packets waiting while a write is in flight; a send beyond it fails with
  // client_errc::send_queue_full. 16 MiB.
  std::size_t send_queue_limit = 16 << 20;
};

// What the server's open packet said.
struct handshake_info {
  std::string sid;
  std::vector<std::string> upgrades;
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{20'000};
  std::size_t max_payload = 1'000'000;
};

class engineio_session;

class engineio_client {
 public:
  // `data` is only valid during the call. Text messages arrive without their "4" prefix.
  using message_handler = std::function<void(std::string_view data, bool binary)>;
  // Called once when the session ends: empty error after close(), else why it ended.
  using close_handler = std::function<void(boost::system::error_code)>;

  explicit engineio_client(boost::asio::any_io_executor executor, engineio_options options = {});
  ~engineio_client();  // closes the session without waiting
  engineio_client(const engineio_client&) = delete;
  engineio_client& operator=(const engineio_client&) = delete;

  void on_message(message_handler handler);
  void on_close(close_handler handler);

  // Connects, does the handshake (and the upgrade when asked), then starts the reader, writer
  // and heartbeat loops. Returns an empty error once the session is open.
  boost::asio::awaitable<boost::system::error_code> open(endpoint ep);

  // Queues a message packet: not_connected unless open, send_queue_full (nothing queued) when
  // send_queue_limit bytes wait already.
  boost::system::error_code send(std::string_view data, bool binary = false);
  // True if a message of `bytes` bytes would be queued now (for packets sent in several parts).
  bool has_room(std::size_t bytes) const;
  // Sends the close packet after everything queued, then shuts the transport down.
  void close();

  bool is_open() const;
  const handshake_info& handshake() const;
  std::string_view transport_name() const;  // "websocket" or "polling"

 private:
  std::shared_ptr<engineio_session> session_;
};

}  // namespace kasocki::client
