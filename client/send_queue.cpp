// See send_queue.hpp.
#include "client/send_queue.hpp"

#include <utility>

namespace kasocki::client {

bool send_queue::push(engineio::out_packet p) {
  if (!has_room(p.data_size())) return false;
  push_unbounded(std::move(p));
  return true;
}

void send_queue::push_unbounded(engineio::out_packet p) {
  bytes_ += p.data_size();
  packets_.push_back(std::move(p));
}

void send_queue::pop_front() {
  bytes_ -= packets_.front().data_size();
  packets_.pop_front();
}

void send_queue::clear() {
  packets_.clear();
  bytes_ = 0;
}

}  // namespace kasocki::client
