// Runs an io_context with an optional busy-poll: when it runs out of ready handlers, it keeps
// polling (non-blocking) for up to a given time before it blocks in the kernel. A request/reply
// exchange whose next request comes within that time then costs no sleep and no wake-up: on a
// virtual machine a cross-core wake-up costs more than the work of a small reply
// (docs/PERFORMANCE.md, consume1). The price is CPU spent spinning after each burst of work, so
// it is an option (`--busy-poll-us`), off by default. Blocks the calling thread.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>

namespace kasocki {

inline void run_with_busy_poll(boost::asio::io_context& io, std::chrono::microseconds spin) {
  if (spin.count() <= 0) {
    io.run();
    return;
  }
  using clock = std::chrono::steady_clock;
  while (!io.stopped()) {
    if (io.poll() > 0) continue;  // handlers ran: look again at once
    std::size_t ran = 0;
    for (const auto until = clock::now() + spin; ran == 0 && !io.stopped() && clock::now() < until;)
      ran = io.poll();
    if (ran == 0 && !io.stopped()) io.run_one();  // nothing came: sleep until something does
  }
}

}  // namespace kasocki
