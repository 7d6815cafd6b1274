// The idle-session limit of one client session: a timer re-armed by every activity; when it
// expires while the session has nothing pending, the owner is told once. Event-loop thread only;
// owns a timer, no I/O.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace kasocki::gateway {

class idle_watch {
 public:
  // `busy()` true means the session waits on the server (started, consumes outstanding): not
  // idle, however long that takes. `expired()` is called at most once.
  idle_watch(boost::asio::any_io_executor executor, std::chrono::milliseconds timeout,
             std::function<bool()> busy, std::function<void()> expired);
  ~idle_watch();
  idle_watch(const idle_watch&) = delete;
  idle_watch& operator=(const idle_watch&) = delete;

  void start();  // arms the timer (no-op when the timeout is 0)
  void touch();  // an activity: the idle time starts again
  void stop();

 private:
  void arm(std::chrono::steady_clock::time_point deadline);
  struct state;
  std::shared_ptr<state> state_;
};

}  // namespace kasocki::gateway
