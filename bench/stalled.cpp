// See stalled.hpp. Speaks just enough of the wire protocol (docs/socketio-wire.md) to get a
// started session: "0{...}" open, "40" connect, "420[subscribe]" / "430" ack, "421[start]" / "431".
#include "bench/stalled.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <nlohmann/json.hpp>

namespace kasocki::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// Frames skipped while waiting for an answer: messages may come before the start ack.
constexpr int max_skipped_frames = 100'000;
// Small enough that the kernel holds a few messages only; the server's queue takes the rest.
constexpr int receive_buffer_bytes = 4096;

// `420["subscribe","<topic>"]`: an event with ack id 0 in an Engine.IO message. Kept out of the
// coroutine: GCC 12 rejects a braced list of string literals inside one.
std::string subscribe_packet(const std::string& topic) {
  return "420" + nlohmann::json::array({"subscribe", topic}).dump();
}

}  // namespace

stalled_client::stalled_client(asio::any_io_executor executor) : ws_(executor) {}

asio::awaitable<std::string> stalled_client::open(const client::endpoint& ep,
                                                  const std::string& topic) {
  if (ep.secure) co_return std::string("the stalled client speaks plain websocket only");
  tcp::resolver resolver(ws_.get_executor());
  auto [rec, addresses] = co_await resolver.async_resolve(ep.host, ep.port, use_tuple);
  if (rec) co_return "resolve: " + rec.message();
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(std::chrono::seconds(10));
  beast::error_code ec;
  // The buffer size must be set before connect to bound the TCP window it advertises.
  const auto first = addresses.begin()->endpoint();
  stream.socket().open(first.protocol(), ec);
  if (!ec)
    stream.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes), ec);
  if (ec) co_return "socket: " + ec.message();
  auto [cec] = co_await stream.socket().async_connect(first, use_tuple);
  if (cec) co_return "connect: " + cec.message();
  auto [hec] = co_await ws_.async_handshake(client::host_header(ep),
                                            client::request_target(ep, "websocket", ""), use_tuple);
  if (hec) co_return "websocket handshake: " + hec.message();
  stream.expires_never();
  std::string error = co_await read_until(std::string_view("0"));
  if (error.empty()) error = co_await write(std::string("40"));
  if (error.empty()) error = co_await read_until(std::string_view("40"));
  if (error.empty()) error = co_await write(subscribe_packet(topic));
  if (error.empty()) error = co_await read_until(std::string_view("430[null"));
  if (error.empty()) error = co_await write(std::string("421[\"start\",null]"));
  if (error.empty()) error = co_await read_until(std::string_view("431[null"));
  co_return error;
}

void stalled_client::close() {
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

asio::awaitable<std::string> stalled_client::read_until(std::string_view prefix) {
  beast::flat_buffer buffer;
  for (int i = 0; i < max_skipped_frames; ++i) {
    buffer.clear();
    auto [ec, n] = co_await ws_.async_read(buffer, use_tuple);
    if (ec) co_return "read: " + ec.message();
    std::string frame = beast::buffers_to_string(buffer.data());
    if (frame.starts_with(prefix)) co_return std::string();
    if (frame.starts_with("44") || frame.starts_with("1"))
      co_return "refused: " + frame.substr(0, 200);
  }
  co_return "no answer starting with " + std::string(prefix);
}

asio::awaitable<std::string> stalled_client::write(std::string text) {
  ws_.text(true);
  auto [ec, n] = co_await ws_.async_write(asio::buffer(text), use_tuple);
  co_return ec ? "write: " + ec.message() : std::string();
}

}  // namespace kasocki::bench
