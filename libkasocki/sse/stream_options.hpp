// The settings of the Server-Sent Events endpoint, with their defaults and units (each is a
// `kasocki serve` option). No I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace kasocki::sse {

struct stream_options {
  std::string path = "/v2/stream/";  // --sse-path: the prefix before the topics
  // --sse-keepalive: a comment line after this long without a write, so proxies keep the
  // connection. Seconds; 15.
  std::chrono::seconds keepalive{15};
  bool timestamp_ids = false;  // --sse-timestamp-ids: ids carry timestamps instead of offsets
  // --sse-max-duration: a stream is ended (cleanly, after what is queued) this long after it
  // started; EventSource reconnects by itself with its Last-Event-ID. 0: never. Seconds.
  std::chrono::seconds max_duration{0};
  // Bytes a stream may hold queued for its client and not yet written before delivery holds off
  // (the Engine.IO send_queue_limit, --max-send-queue-bytes). 1 MiB.
  std::size_t send_queue_limit = 1 << 20;
  // A write that does not finish in this long closes the connection (a client that stopped
  // reading is let go by the stall timeout first; this bounds the last write). Seconds; 60.
  std::chrono::seconds write_timeout{60};
  // --sse-write-interval-ms: a stream with less than a write's worth (64 KiB) queued writes at
  // most once per this interval, so that a busy live stream sends several events per syscall
  // (at 500 events/s, one write per event cost more than the events). The first event after a
  // quiet interval goes out at once. Milliseconds; 5. 0: every event as soon as it is queued.
  std::chrono::milliseconds write_interval{5};
  // CORS as for socket.io (--cors-origin): empty = none; "*" = any origin; else exact origins.
  std::vector<std::string> cors_origins;
};

}  // namespace kasocki::sse
