// Unit tests of engineio::write_within over a loopback TCP connection: the deadline closes the
// socket of a write the peer does not read, and it belongs to the write alone: a read started
// while the write was pending waits for the peer as long as it takes.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "libkasocki/engineio/timed_write.hpp"

namespace kasocki::engineio {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;

// Far more than the kernel buffers of a loopback connection whose ends asked for small ones
// (some KiB): a write of it waits for the peer to read.
constexpr std::size_t large_write = 1 << 20;

struct TimedWrite : ::testing::Test {
  TimedWrite() {
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    peer.open(tcp::v4());
    peer.set_option(asio::socket_base::receive_buffer_size(4096));
    peer.connect(acceptor.local_endpoint());
    tcp::socket accepted = acceptor.accept();
    accepted.set_option(asio::socket_base::send_buffer_size(4096));
    server.emplace(boost::beast::tcp_stream(std::move(accepted)));
  }
  // Starts write_within of `large_write` bytes with `deadline`; its result lands in `written`.
  void start_write(std::chrono::milliseconds deadline) {
    data.assign(large_write, 'x');
    asio::co_spawn(
        io,
        [this, deadline]() -> asio::awaitable<void> {
          const asio::const_buffer buffer(data.data(), data.size());
          written = co_await write_within(*server, timer, std::span(&buffer, 1), deadline);
        },
        asio::detached);
  }
  // Runs the loop until `done` holds; the 60 s bound only stops a broken test from hanging.
  bool run_until(const std::function<bool()>& done) {
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    while (!done() && std::chrono::steady_clock::now() < give_up)
      if (io.run_one_for(1s) == 0 && io.stopped()) break;
    return done();
  }
  asio::io_context io;
  tcp::socket peer{io};
  std::optional<plain_or_tls_stream> server;
  asio::steady_timer timer{io};
  std::string data;
  std::optional<bool> written;
};

TEST_F(TimedWrite, AWriteTheClientDoesNotReadEndsAtItsDeadline) {
  start_write(50ms);
  ASSERT_TRUE(run_until([&] { return written.has_value(); }));
  EXPECT_FALSE(*written);
  EXPECT_FALSE(server->next_layer().socket().is_open());
}

TEST_F(TimedWrite, AReadStartedDuringTheWriteOutlivesTheWritesDeadline) {
  // A deadline the write meets however slow the machine (the peer drains at once); what matters
  // is the silence after it, twice as long.
  start_write(1s);
  io.poll();  // the write begins and waits for the peer (more than the buffers hold)
  ASSERT_FALSE(written.has_value());
  // The reader starts while the write is pending (the websocket reader does, after each frame of
  // the client, while the writer streams).
  std::optional<boost::system::error_code> read_error;
  char byte = 0;
  server->async_read_some(asio::buffer(&byte, 1),
                          [&](boost::system::error_code ec, std::size_t) { read_error = ec; });
  std::string drained(large_write, '\0');
  bool peer_read = false;
  asio::async_read(peer, asio::buffer(drained),
                   [&](boost::system::error_code ec, std::size_t) { peer_read = !ec; });
  ASSERT_TRUE(run_until([&] { return written.has_value() && peer_read; }));
  ASSERT_TRUE(*written);
  // The client is silent for longer than the write's deadline, then sends: the read gets it.
  asio::steady_timer silence(io, 2s);
  bool silent = false;
  silence.async_wait([&](boost::system::error_code) {
    silent = true;
    asio::write(peer, asio::buffer("y", 1));
  });
  ASSERT_TRUE(run_until([&] { return read_error.has_value(); }));
  EXPECT_TRUE(silent);
  EXPECT_FALSE(*read_error) << read_error->message();
  EXPECT_EQ(byte, 'y');
}

}  // namespace
}  // namespace kasocki::engineio
