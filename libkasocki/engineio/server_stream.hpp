// The byte stream of one accepted HTTP connection: plain TCP, or TLS (OpenSSL) over TCP, chosen
// when the connection is accepted. It is a Beast/Asio AsyncStream, so HTTP reads and writes,
// the websocket stream and the websocket writer's raw gathered writes work the same over both;
// next_layer() is the TCP stream (timeouts, peer address) and is never written to directly.
// Does socket I/O; used on the event-loop thread.
#pragma once

#include <deque>
#include <memory>
#include <utility>
#include <variant>

#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace kasocki::engineio {

class plain_or_tls_stream {
 public:
  using tls_stream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using executor_type = boost::beast::tcp_stream::executor_type;

  explicit plain_or_tls_stream(boost::beast::tcp_stream tcp) : stream_(std::move(tcp)) {}
  // A server-side TLS stream; the handshake is the caller's (tls()->async_handshake).
  plain_or_tls_stream(boost::beast::tcp_stream tcp, boost::asio::ssl::context& context)
      : stream_(std::in_place_type<tls_stream>, std::move(tcp), context) {}

  executor_type get_executor() {
    return std::visit([](auto& s) { return s.get_executor(); }, stream_);
  }
  boost::beast::tcp_stream& next_layer() {
    if (auto* tcp = std::get_if<boost::beast::tcp_stream>(&stream_)) return *tcp;
    return std::get<tls_stream>(stream_).next_layer();
  }
  const boost::beast::tcp_stream& next_layer() const {
    return const_cast<plain_or_tls_stream*>(this)->next_layer();
  }
  // The TLS stream, or null for plain TCP.
  tls_stream* tls() { return std::get_if<tls_stream>(&stream_); }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, stream_);
        },
        token, buffers);
  }

  // A write of the websocket stream itself (a pong, a close frame) while the websocket writer's
  // batch is being written waits for the batch: two writers on one socket would interleave
  // their bytes (and trip Beast's one-write-at-a-time check).
  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (batch_) {
            auto start = [this, b, handler = std::move(handler)]() mutable {
              write_now(b, std::move(handler));
            };
            deferred_.push_back(std::make_unique<deferred<decltype(start)>>(std::move(start)));
            return;
          }
          write_now(b, std::move(handler));
        },
        token, buffers);
  }

  // The websocket writer's side: between begin_batch() and end_batch(), only the batch_stream
  // writes; end_batch() starts the writes that waited. Call begin_batch() once no write of the
  // websocket stream is in flight (async_wait_writes_done).
  class batch_stream {
   public:
    using executor_type = plain_or_tls_stream::executor_type;
    explicit batch_stream(plain_or_tls_stream& s) : s_(s) {}
    executor_type get_executor() { return s_.get_executor(); }
    template <class ConstBuffers, class Token>
    auto async_write_some(const ConstBuffers& buffers, Token&& token) {
      return boost::asio::async_initiate<Token, void(boost::system::error_code, std::size_t)>(
          [this](auto handler, const ConstBuffers& b) { s_.write_now(b, std::move(handler)); },
          token, buffers);
    }

   private:
    plain_or_tls_stream& s_;
  };
  batch_stream begin_batch() {
    batch_ = true;
    return batch_stream(*this);
  }
  void end_batch() {
    batch_ = false;
    auto waiting = std::move(deferred_);
    deferred_.clear();
    for (auto& write : waiting) write->start();
  }
  int writes_in_flight() const { return writes_; }
  // Completes once no write of the websocket stream's own is in flight (at once when none is).
  // The write's handler runs first and may start another: check writes_in_flight() again.
  template <class Token>
  auto async_wait_writes_done(Token&& token) {
    return boost::asio::async_initiate<Token, void()>(
        [this](auto handler) {
          auto resume = [handler = std::move(handler)]() mutable { std::move(handler)(); };
          if (writes_ == 0) {
            boost::asio::post(get_executor(), std::move(resume));
            return;
          }
          writes_done_.push_back(std::make_unique<deferred<decltype(resume)>>(std::move(resume)));
        },
        token);
  }

  // The websocket stream's closing handshake ends with these (found by argument lookup).
  friend void teardown(boost::beast::role_type role, plain_or_tls_stream& s,
                       boost::system::error_code& ec) {
    std::visit(
        [&](auto& inner) {
          using boost::beast::websocket::teardown;
          teardown(role, inner, ec);
        },
        s.stream_);
  }
  template <class Handler>
  friend void async_teardown(boost::beast::role_type role, plain_or_tls_stream& s,
                             Handler&& handler) {
    std::visit(
        [&](auto& inner) {
          using boost::beast::websocket::async_teardown;
          async_teardown(role, inner, std::forward<Handler>(handler));
        },
        s.stream_);
  }

 private:
  // A write that waits for the batch (its handler is move-only, so no std::function).
  struct deferred_write {
    virtual ~deferred_write() = default;
    virtual void start() = 0;
  };
  template <class Start>
  struct deferred final : deferred_write {
    explicit deferred(Start s) : start_(std::move(s)) {}
    void start() override { std::move(start_)(); }
    Start start_;
  };

  template <class ConstBuffers, class Handler>
  void write_now(const ConstBuffers& b, Handler handler) {
    ++writes_;
    std::visit(
        [&](auto& s) {
          s.async_write_some(b, [this, handler = std::move(handler)](boost::system::error_code ec,
                                                                     std::size_t n) mutable {
            --writes_;
            // The handler may destroy this stream (a close that ends the connection): nothing
            // of `this` is touched after it. Waiters of the writer hold the connection.
            decltype(writes_done_) waiting;
            if (writes_ == 0) waiting.swap(writes_done_);
            std::move(handler)(ec, n);
            for (auto& w : waiting) w->start();
          });
        },
        stream_);
  }

  std::variant<boost::beast::tcp_stream, tls_stream> stream_;
  bool batch_ = false;
  int writes_ = 0;
  std::deque<std::unique_ptr<deferred_write>> deferred_;
  std::deque<std::unique_ptr<deferred_write>> writes_done_;  // async_wait_writes_done's waiters
};

}  // namespace kasocki::engineio
