// The client's queue of outgoing Engine.IO packets while a write is in flight, bounded in bytes:
// an application that emits faster than the connection carries gets send_queue_full, not
// memory. Pure (no I/O).
#pragma once

#include <cstddef>
#include <deque>

#include "libkasocki/engineio/packet.hpp"

namespace kasocki::client {

class send_queue {
 public:
  explicit send_queue(std::size_t limit_bytes) : limit_(limit_bytes) {}

  // Queues `p` if its data fits within the limit with what is queued; false (and nothing
  // queued) when it does not.
  bool push(engineio::out_packet p);
  // Queues `p` whatever the limit: for the few control packets the session itself must send
  // (the close packet), never for application data.
  void push_unbounded(engineio::out_packet p);
  // True if `bytes` more would fit now.
  bool has_room(std::size_t bytes) const { return bytes <= limit_ && bytes_ <= limit_ - bytes; }

  bool empty() const { return packets_.empty(); }
  std::size_t size() const { return packets_.size(); }
  std::size_t bytes() const { return bytes_; }  // data bytes of the queued packets
  engineio::out_packet& front() { return packets_.front(); }
  void pop_front();
  void clear();
  auto begin() const { return packets_.begin(); }
  auto end() const { return packets_.end(); }

 private:
  std::size_t limit_;
  std::size_t bytes_ = 0;
  std::deque<engineio::out_packet> packets_;
};

}  // namespace kasocki::client
