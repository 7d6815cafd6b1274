// A write with a deadline of its own: when it has not finished by then, the socket is closed (a
// client that reads nothing must not hold a connection and its buffers forever). Does socket
// I/O; runs on the event-loop thread.
#pragma once

#include <chrono>
#include <span>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/steady_timer.hpp>

#include "libkasocki/engineio/server_stream.hpp"

namespace kasocki::engineio {

// Writes all of `buffers`; false when the write failed or `deadline` passed first. The deadline
// runs on `timer` (one per connection, used by one write at a time), not on the stream's expiry
// (tcp_stream::expires_after): Beast applies that expiry to a read started while the write is
// pending too, so a reader that waits for the client's next frame longer than a write may take
// (a websocket reader waits as long as the heartbeat allows) would be cut off by the writer's
// deadline.
boost::asio::awaitable<bool> write_within(plain_or_tls_stream& stream,
                                          boost::asio::steady_timer& timer,
                                          std::span<const boost::asio::const_buffer> buffers,
                                          std::chrono::steady_clock::duration deadline);

}  // namespace kasocki::engineio
