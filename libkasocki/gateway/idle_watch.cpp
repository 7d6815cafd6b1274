// See idle_watch.hpp. The timer is not re-armed on every touch (a busy client touches thousands
// of times a second): a touch only records the time, and an expiring timer re-arms itself for the
// remainder when there was activity since it was set.
#include "libkasocki/gateway/idle_watch.hpp"

namespace kasocki::gateway {

struct idle_watch::state {
  state(boost::asio::any_io_executor executor, std::chrono::milliseconds t, std::function<bool()> b,
        std::function<void()> e)
      : timer(executor), timeout(t), busy(std::move(b)), expired(std::move(e)) {}
  boost::asio::steady_timer timer;
  std::chrono::milliseconds timeout;
  std::function<bool()> busy;
  std::function<void()> expired;
  std::chrono::steady_clock::time_point last_activity = std::chrono::steady_clock::now();
  bool stopped = false;
};

idle_watch::idle_watch(boost::asio::any_io_executor executor, std::chrono::milliseconds timeout,
                       std::function<bool()> busy, std::function<void()> expired)
    : state_(std::make_shared<state>(executor, timeout, std::move(busy), std::move(expired))) {}

idle_watch::~idle_watch() {
  stop();
}

void idle_watch::start() {
  if (state_->timeout.count() <= 0) return;
  touch();
  arm(state_->last_activity + state_->timeout);
}

void idle_watch::touch() {
  state_->last_activity = std::chrono::steady_clock::now();
}

void idle_watch::stop() {
  state_->stopped = true;
  state_->timer.cancel();
}

void idle_watch::arm(std::chrono::steady_clock::time_point deadline) {
  state_->timer.expires_at(deadline);
  // The handler holds the state weakly: the watch's owner may be gone when it runs.
  state_->timer.async_wait(
      [this, weak = std::weak_ptr<state>(state_)](boost::system::error_code ec) {
        auto s = weak.lock();
        if (ec || !s || s->stopped) return;
        const auto now = std::chrono::steady_clock::now();
        if (s->busy && s->busy()) {
          s->last_activity = now;  // waiting on the server is not idleness
          return arm(now + s->timeout);
        }
        if (now - s->last_activity < s->timeout) return arm(s->last_activity + s->timeout);
        s->stopped = true;
        if (auto expired = std::move(s->expired)) expired();
      });
}

}  // namespace kasocki::gateway
