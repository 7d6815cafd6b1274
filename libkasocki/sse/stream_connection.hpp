// One open SSE (or NDJSON) response: the gateway session's stream_output. It frames each message
// as a per-client head (`event`/`id`) + the shared body + a tail, queues them (bounded in bytes,
// like an Engine.IO session; the bodies shared, each event's position change instead of its head)
// and one writer coroutine frames them into slices of up to 64 KiB, each one HTTP/1.1 chunk
// (or close-delimited for HTTP/1.0), with keep-alive comments while nothing is sent. A reader
// notices the client going away. Does socket I/O; event-loop thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "libkasocki/engineio/server_stream.hpp"
#include "libkasocki/gateway/stream_output.hpp"
#include "libkasocki/sse/stream_options.hpp"
#include "libkasocki/sse/stream_positions.hpp"

namespace kasocki::sse {

class stream_connection : public gateway::stream_output,
                          public std::enable_shared_from_this<stream_connection> {
 public:
  struct framing {
    bool chunked = true;  // HTTP/1.1; false: the end of the connection ends the response
    bool ndjson = false;
    id_format ids = id_format::offset;
  };
  stream_connection(engineio::plain_or_tls_stream& stream, framing f, stream_positions positions,
                    const stream_options& options);

  // Queues raw bytes before anything else (the opening `:ok`).
  void send_raw(std::string bytes);
  // Writes until the stream ends (client gone, end(), a write error, the maximum duration);
  // writes the last chunk when the client is still there.
  boost::asio::awaitable<void> run();
  // Ends the stream with an `event: error` (server shutdown).
  void close_with(const gateway::json& error);
  // Stops at once: pending reads and writes are cancelled (the last step of a shutdown).
  void abort();
  std::size_t queued_bytes() const { return queued_bytes_ + writing_bytes_; }
  // The most queued_bytes() has been since the stream opened (for metrics).
  std::size_t peak_queued_bytes() const { return peak_bytes_; }

  // ---- gateway::stream_output ----
  bool writable() const override;
  void when_writable(std::function<void()> callback) override;
  void discard_queued() override;
  void send_message(const kafka::message_view& m, const shared_bytes& body) override;
  void send_error(const gateway::json& error) override;
  void end() override;

 private:
  // An event, or raw bytes (raws_[raw_at, raw_at + raw_size) of the queue it is in). An event
  // keeps the position it moved, not its id: the writer renders the id into the slice (the id
  // names every partition; a queue of rendered ids was a third of a live stream's bytes held).
  struct piece {
    shared_bytes body;  // null: raw bytes
    std::size_t raw_at = 0;
    std::uint32_t raw_size = 0;
    std::uint32_t frame_size = 0;  // the event's head and tail
    std::int32_t entry = -1;       // the id entry the event moved (-1: none)
    std::int64_t next_offset = 0;
    std::int64_t next_timestamp = 0;
    std::size_t size() const { return raw_size + frame_size + view(body).size(); }
  };
  void push(piece p);
  void wake();
  boost::asio::awaitable<bool> write_queue(const std::string& raws, std::string& slice);
  boost::asio::awaitable<void> read_until_closed(std::shared_ptr<stream_connection> self);

  engineio::plain_or_tls_stream& stream_;
  framing framing_;
  stream_positions positions_;
  const stream_options& options_;
  std::vector<piece> queue_;
  std::string raws_;               // the raw bytes of queue_'s pieces, one after the other
  stream_positions written_;       // the positions as of the last event the writer framed
  std::vector<piece> writing_;     // the pieces the writer has taken (from queue_)
  std::size_t framed_ = 0;         // of writing_, those framed into slices so far
  std::size_t queued_bytes_ = 0;   // of queue_
  std::size_t writing_bytes_ = 0;  // of the pieces the writer has taken
  std::size_t peak_bytes_ = 0;
  std::function<void()> on_writable_;
  boost::asio::steady_timer wake_;
  boost::asio::steady_timer reader_done_;
  boost::asio::steady_timer end_deadline_;    // after end(): a write still pending is cancelled
  boost::asio::steady_timer write_deadline_;  // of the write in progress (write_within)
  bool ending_ = false;                       // end(): write what is queued, then finish
  bool client_gone_ = false;  // the client closed or a write failed: nothing more to write
  bool reading_ = false;
  bool writer_waiting_ = false;  // the writer waits on wake_ for messages: push() wakes it
  bool writer_pacing_ = false;   // the writer waits on wake_ for its write interval to pass
};

}  // namespace kasocki::sse
