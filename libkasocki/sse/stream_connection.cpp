// See stream_connection.hpp.
#include "libkasocki/sse/stream_connection.hpp"

#include <algorithm>
#include <array>
#include <span>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "libkasocki/engineio/timed_write.hpp"
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
// What one write carries at most (one chunk): large enough that a syscall moves many events,
// small enough that a thousand busy streams hold a thousand slices, not their queues' worth.
constexpr std::size_t write_slice_bytes = 64 * 1024;
// What an idle stream keeps of the buffers a backlog grew (each).
constexpr std::size_t idle_keep_bytes = 4 * 1024;
}  // namespace

stream_connection::stream_connection(engineio::plain_or_tls_stream& stream, framing f,
                                     stream_positions positions, const stream_options& options)
    : stream_(stream),
      framing_(f),
      positions_(std::move(positions)),
      options_(options),
      written_(positions_),
      wake_(stream.get_executor()),
      reader_done_(stream.get_executor()),
      end_deadline_(stream.get_executor()),
      write_deadline_(stream.get_executor()) {}

bool stream_connection::writable() const {
  return !client_gone_ && !ending_ && queued_bytes() < options_.send_queue_limit;
}

void stream_connection::when_writable(std::function<void()> callback) {
  on_writable_ = std::move(callback);
}

// The events dropped are forgotten, positions and all: an id queued after them (the error
// event's) names the position after the last event the writer took, as an id does after every
// event the client gets. A client resuming from it gets the dropped events again.
void stream_connection::discard_queued() {
  queue_.clear();
  raws_.clear();
  queued_bytes_ = 0;
  positions_ = written_;
  for (std::size_t i = framed_; i < writing_.size(); ++i)
    if (const auto& p = writing_[i]; p.entry >= 0)
      positions_.set(static_cast<std::size_t>(p.entry), p.next_offset, p.next_timestamp);
}

void stream_connection::push(piece p) {
  if (client_gone_ || ending_) return;
  queued_bytes_ += p.size();
  peak_bytes_ = std::max(peak_bytes_, queued_bytes());
  queue_.push_back(std::move(p));
  wake();
}

// A cancel per message would post a completion per message; the writer is only woken when it
// waits for messages (or, pacing its writes, when a whole slice is queued), and otherwise finds
// what was queued when its write or its pause ends.
void stream_connection::wake() {
  if (writer_waiting_ || (writer_pacing_ && queued_bytes_ >= write_slice_bytes)) wake_.cancel();
}

void stream_connection::send_raw(std::string bytes) {
  if (client_gone_ || ending_) return;
  piece p;
  p.raw_at = raws_.size();
  p.raw_size = static_cast<std::uint32_t>(bytes.size());
  raws_ += bytes;
  push(std::move(p));
}

void stream_connection::send_message(const kafka::message_view& m, const shared_bytes& body) {
  piece p;
  if (auto moved = positions_.advance(m.topic, m.partition, m.offset, m.timestamp)) {
    const auto& e = positions_.entries()[*moved];
    p.entry = static_cast<std::int32_t>(*moved);
    p.next_offset = e.next_offset;
    p.next_timestamp = e.next_timestamp;
  }
  // The id the writer will render is the one the positions hold now: its length is known.
  p.frame_size = static_cast<std::uint32_t>(message_tail(framing_.ndjson).size());
  if (!framing_.ndjson)
    p.frame_size += static_cast<std::uint32_t>(
        message_head_start.size() + positions_.id_size(framing_.ids) + message_head_end.size());
  // A value with line breaks (valid JSON, pretty-printed) would end the data line: this client
  // gets a copy with spaces instead (rare; every other message shares the body).
  if (auto line = single_line(view(body)))
    p.body = make_shared_bytes(std::move(*line));
  else
    p.body = body;
  push(std::move(p));
}

void stream_connection::send_error(const gateway::json& error) {
  send_raw(error_event(framing_.ndjson, error,
                       framing_.ndjson ? std::string() : positions_.render(framing_.ids)));
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
  wake_.cancel();
}

void stream_connection::close_with(const gateway::json& error) {
  send_error(error);
  end();
}

void stream_connection::abort() {
  client_gone_ = true;
  stream_.next_layer().cancel();
  wake_.cancel();
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
  wake_.cancel();
  reader_done_.cancel();
}

// Copies the pieces into slices of up to write_slice_bytes and writes each, as one chunk when
// chunked: a gathered write of every head, body and tail would be cut by Asio into syscalls of
// at most 64 buffers (about 20 events), and a slice costs this stream one buffer, not a copy of
// its queue. The room a slice frees is given back at once, so the session refills the queue
// while the next slice is written. False when a write failed.
asio::awaitable<bool> stream_connection::write_queue(const std::string& raws, std::string& slice) {
  const auto tail = message_tail(framing_.ndjson);
  while (framed_ < writing_.size() && !client_gone_) {
    slice.clear();
    // Its exact size first: a string grown by appends would double past the limit.
    std::size_t slice_bytes = 0;
    for (std::size_t i = framed_; i < writing_.size() && slice_bytes < write_slice_bytes; ++i)
      slice_bytes += writing_[i].size();
    slice.reserve(slice_bytes);
    slice_bytes = 0;
    while (framed_ < writing_.size() && slice.size() < write_slice_bytes) {
      const auto& p = writing_[framed_++];
      if (p.entry >= 0)
        written_.set(static_cast<std::size_t>(p.entry), p.next_offset, p.next_timestamp);
      slice.append(raws, p.raw_at, p.raw_size);
      if (p.body) {
        if (!framing_.ndjson) {
          slice += message_head_start;
          slice += written_.id(framing_.ids);
          slice += message_head_end;
        }
        slice += view(p.body);
        slice += tail;
      }
      slice_bytes += p.size();
    }
    if (slice.empty()) continue;  // only empty raw pieces (a chunk of 0 would end the body)
    std::string chunk_header;
    std::array<asio::const_buffer, 3> buffers;
    std::size_t count = 0;
    if (framing_.chunked) {
      chunk_header = chunk_head(slice.size());
      buffers[count++] = asio::buffer(chunk_header);
    }
    buffers[count++] = asio::buffer(slice);
    if (framing_.chunked) buffers[count++] = asio::buffer(chunk_tail.data(), chunk_tail.size());
    // The write's own deadline, not the stream's expiry, which would also cut the pending read
    // of the client's end (engineio/timed_write.hpp). After end(), end_deadline_ bounds it.
    const std::span<const asio::const_buffer> pieces(buffers.data(), count);
    bool ok = false;
    if (ending_) {
      auto [ec, n] = co_await asio::async_write(stream_, pieces, as_tuple(use_awaitable));
      ok = !ec;
    } else {
      ok =
          co_await engineio::write_within(stream_, write_deadline_, pieces, options_.write_timeout);
    }
    if (!ok) co_return false;
    writing_bytes_ -= slice_bytes;
    if (on_writable_ && writable()) std::exchange(on_writable_, nullptr)();
  }
  co_return true;
}

asio::awaitable<void> stream_connection::run() {
  reading_ = true;
  reader_done_.expires_at(clock::time_point::max());
  asio::co_spawn(stream_.get_executor(), read_until_closed(shared_from_this()), asio::detached);
  const auto started = clock::now();
  const auto deadline = options_.max_duration.count() > 0 ? started + options_.max_duration
                                                          : clock::time_point::max();
  auto last_write = started;
  std::string writing_raws, slice;
  while (!client_gone_) {
    const auto now = clock::now();
    if (now >= deadline) end();  // what is queued still goes out
    if (queue_.empty()) {
      if (ending_) break;
      if (now >= last_write + options_.keepalive) {
        send_raw(std::string(keepalive(framing_.ndjson)));
        continue;
      }
      // An idle stream keeps none of the room a backlog once took.
      if (writing_raws.capacity() > idle_keep_bytes) std::string().swap(writing_raws);
      if (raws_.capacity() > idle_keep_bytes) std::string().swap(raws_);
      if (writing_.capacity() * sizeof(piece) > idle_keep_bytes)
        std::vector<piece>().swap(writing_);
      if (queue_.capacity() * sizeof(piece) > idle_keep_bytes) std::vector<piece>().swap(queue_);
      wake_.expires_at(std::min(last_write + options_.keepalive, deadline));
      writer_waiting_ = true;
      co_await wake_.async_wait(as_tuple(use_awaitable));
      writer_waiting_ = false;
      continue;
    }
    // A trickle of events waits for the rest of the interval since the last write: a busy live
    // stream then writes a few events at a time instead of one.
    if (queued_bytes_ < write_slice_bytes && now < last_write + options_.write_interval &&
        !ending_) {
      wake_.expires_at(last_write + options_.write_interval);
      writer_pacing_ = true;
      co_await wake_.async_wait(as_tuple(use_awaitable));
      writer_pacing_ = false;
      if (client_gone_) break;
    }
    // Let the handlers that are ready already (the rest of a Kafka batch, other partitions) queue
    // theirs first, so that one write carries more events.
    for (std::size_t before = 0, round = 0;
         round < 8 && queued_bytes_ != before && !client_gone_ && !ending_; ++round) {
      before = queued_bytes_;
      co_await asio::post(stream_.get_executor(), use_awaitable);
    }
    if (client_gone_) break;
    writing_.swap(queue_);
    framed_ = 0;
    writing_raws.swap(raws_);
    raws_.clear();
    writing_bytes_ = queued_bytes_;
    queued_bytes_ = 0;
    const bool ok = co_await write_queue(writing_raws, slice);
    // The slice is kept only for a queue that fills the next one: a thousand live streams that
    // write a few events at a time would otherwise each keep the largest slice they ever wrote.
    if (queued_bytes_ < write_slice_bytes) std::string().swap(slice);
    writing_.clear();
    framed_ = 0;
    writing_bytes_ = 0;
    last_write = clock::now();
    if (!ok) {
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
