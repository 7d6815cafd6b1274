// See stream_connection.hpp.
#include "libkasocki/sse/stream_connection.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "libkasocki/sse/event_format.hpp"

namespace kasocki::sse {

namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using clock = std::chrono::steady_clock;

namespace {
// After end() or a shutdown, how long the client has to take what is queued before the socket is
// closed anyway.
constexpr auto end_grace = std::chrono::seconds(2);
}  // namespace

stream_connection::stream_connection(engineio::plain_or_tls_stream& stream, framing f,
                                     stream_positions positions, const stream_options& options)
    : stream_(stream),
      framing_(f),
      positions_(std::move(positions)),
      options_(options),
      wake_(stream.get_executor()),
      reader_done_(stream.get_executor()),
      end_deadline_(stream.get_executor()) {}

bool stream_connection::writable() const {
  return !client_gone_ && !ending_ && queued_bytes() < options_.send_queue_limit;
}

void stream_connection::when_writable(std::function<void()> callback) {
  on_writable_ = std::move(callback);
}

void stream_connection::discard_queued() {
  queue_.clear();
  queued_bytes_ = 0;
}

void stream_connection::push(piece p) {
  if (client_gone_ || ending_) return;
  queued_bytes_ += p.size();
  peak_bytes_ = std::max(peak_bytes_, queued_bytes());
  queue_.push_back(std::move(p));
  wake();
}

void stream_connection::wake() {
  wake_.cancel();
}

void stream_connection::send_raw(std::string bytes) {
  push(piece{std::move(bytes), nullptr, {}});
}

void stream_connection::send_message(const kafka::message_view& m, const shared_bytes& body) {
  positions_.advance(m.topic, m.partition, m.offset, m.timestamp);
  // The per-client head in one allocation: the id is rendered into it.
  std::string head;
  if (!framing_.ndjson) {
    head.reserve(message_head_start.size() + positions_.render_bound() + message_head_end.size());
    head += message_head_start;
    positions_.render_to(head, framing_.ids);
    head += message_head_end;
  }
  // A value with line breaks (valid JSON, pretty-printed) would end the data line: this client
  // gets a copy with spaces instead (rare; every other message shares the body).
  if (auto line = single_line(view(body)))
    return push(
        piece{std::move(head), make_shared_bytes(std::move(*line)), message_tail(framing_.ndjson)});
  push(piece{std::move(head), body, message_tail(framing_.ndjson)});
}

void stream_connection::send_error(const gateway::json& error) {
  push(piece{error_event(framing_.ndjson, error,
                         framing_.ndjson ? std::string() : positions_.render(framing_.ids)),
             nullptr,
             {}});
}

void stream_connection::end() {
  if (ending_) return;
  ending_ = true;
  // The writer may wait on a client that reads nothing: it gets a little time, not forever.
  // (The stream's own timeouts cannot be changed while a read and a write are pending.)
  end_deadline_.expires_after(end_grace);
  end_deadline_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!ec && self && !self->client_gone_) self->abort();
  });
  wake();
}

void stream_connection::close_with(const gateway::json& error) {
  send_error(error);
  end();
}

void stream_connection::abort() {
  client_gone_ = true;
  stream_.next_layer().cancel();
  wake();
}

asio::awaitable<void> stream_connection::read_until_closed(std::shared_ptr<stream_connection>) {
  // A client sends nothing after its request; what it does send is read and dropped, so the
  // end of its stream (or a reset) is seen at once.
  char buffer[1024];
  for (;;) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(buffer), as_tuple(use_awaitable));
    if (ec) break;
  }
  client_gone_ = true;
  reading_ = false;
  wake();
  reader_done_.cancel();
}

asio::awaitable<void> stream_connection::run() {
  reading_ = true;
  reader_done_.expires_at(clock::time_point::max());
  asio::co_spawn(stream_.get_executor(), read_until_closed(shared_from_this()), asio::detached);
  const auto started = clock::now();
  const auto deadline = options_.max_duration.count() > 0 ? started + options_.max_duration
                                                          : clock::time_point::max();
  auto last_write = started;
  std::vector<piece> writing;
  std::vector<asio::const_buffer> buffers;
  while (!client_gone_) {
    const auto now = clock::now();
    if (now >= deadline) end();  // what is queued still goes out
    if (queue_.empty()) {
      if (ending_) break;
      if (now >= last_write + options_.keepalive) {
        send_raw(std::string(keepalive(framing_.ndjson)));
        continue;
      }
      wake_.expires_at(std::min(last_write + options_.keepalive, deadline));
      co_await wake_.async_wait(as_tuple(use_awaitable));
      continue;
    }
    writing.swap(queue_);
    writing_bytes_ = queued_bytes_;
    queued_bytes_ = 0;
    std::string chunk_header;
    buffers.clear();
    if (framing_.chunked) {
      chunk_header = chunk_head(writing_bytes_);
      buffers.push_back(asio::buffer(chunk_header));
    }
    for (const auto& p : writing) {
      if (!p.head.empty()) buffers.push_back(asio::buffer(p.head));
      if (p.body) buffers.push_back(asio::buffer(*p.body));
      if (!p.tail.empty()) buffers.push_back(asio::buffer(p.tail.data(), p.tail.size()));
    }
    if (framing_.chunked) buffers.push_back(asio::buffer(chunk_tail.data(), chunk_tail.size()));
    if (!ending_) stream_.next_layer().expires_after(options_.write_timeout);
    auto [ec, n] = co_await asio::async_write(stream_, buffers, as_tuple(use_awaitable));
    if (!ending_) stream_.next_layer().expires_never();
    writing.clear();
    writing_bytes_ = 0;
    last_write = clock::now();
    if (ec) {
      client_gone_ = true;
      break;
    }
    if (on_writable_ && writable()) std::exchange(on_writable_, nullptr)();
  }
  if (!client_gone_ && framing_.chunked) {
    if (!ending_) end();  // bounds the last write too
    co_await asio::async_write(stream_, asio::buffer(last_chunk.data(), last_chunk.size()),
                               as_tuple(use_awaitable));
  }
  client_gone_ = true;
  on_writable_ = nullptr;
  // The reader must be done before the stream it reads goes away with the connection.
  if (reading_) {
    stream_.next_layer().cancel();
    co_await reader_done_.async_wait(as_tuple(use_awaitable));
  }
  end_deadline_.cancel();
  stream_.next_layer().expires_never();
}

}  // namespace kasocki::sse
