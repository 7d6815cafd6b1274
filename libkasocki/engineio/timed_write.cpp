#include "libkasocki/engineio/timed_write.hpp"

#include <memory>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace kasocki::engineio {

boost::asio::awaitable<bool> write_within(plain_or_tls_stream& stream,
                                          boost::asio::steady_timer& timer,
                                          std::span<const boost::asio::const_buffer> buffers,
                                          std::chrono::steady_clock::duration deadline) {
  // Cleared when the write is over: a deadline that fired just as the write completed (its
  // handler queued already, beyond cancel()) then closes nothing. While it is set, the write is
  // pending and the stream (whose owner awaits this write) is alive.
  auto pending = std::make_shared<bool>(true);
  timer.expires_after(deadline);
  timer.async_wait([pending, &tcp = stream.next_layer()](boost::system::error_code ec) {
    if (ec || !*pending) return;
    boost::system::error_code ignored;
    tcp.socket().close(ignored);  // the write, and a read beside it, end with an error
  });
  auto [ec, n] = co_await boost::asio::async_write(
      stream, buffers, boost::asio::as_tuple(boost::asio::use_awaitable));
  *pending = false;
  timer.cancel();
  co_return !ec;
}

}  // namespace kasocki::engineio
