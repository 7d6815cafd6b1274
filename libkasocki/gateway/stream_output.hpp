// Where a client_session of a plain stream (Server-Sent Events, NDJSON) sends what it delivers,
// instead of a socket.io socket: the same delivery loop, filters, limits and shared bodies; the
// stream only frames them (a per-client head before the shared body). Interface only, no I/O.
#pragma once

#include <functional>

#include "libkasocki/common/shared_bytes.hpp"
#include "libkasocki/gateway/errors.hpp"
#include "libkasocki/kafka/message_source.hpp"

namespace kasocki::gateway {

class stream_output {
 public:
  virtual ~stream_output() = default;
  // False while the stream's send queue is full (or the stream is gone): no more messages then.
  virtual bool writable() const = 0;
  // Called once when the queue has room again after writable() was false.
  virtual void when_writable(std::function<void()> callback) = 0;
  // Drops what is queued and not yet being written (a stalled client is let go).
  virtual void discard_queued() = 0;
  // A message that passed the filters: `body` is the augmented value, shared with every client.
  virtual void send_message(const kafka::message_view& m, const shared_bytes& body) = 0;
  // An error object (to_json) for the client; the stream goes on unless end() follows.
  virtual void send_error(const json& error) = 0;
  // The server ends the stream (after what is queued).
  virtual void end() = 0;
};

}  // namespace kasocki::gateway
