// One client's source on the shared tail. Each assigned partition has a cursor (the next offset
// to hand over) and reads either from its tail's window, when the window covers the cursor, or
// from the client's private consumer, opened over the partitions behind their windows at their
// cursors. Whatever the way, only a partition's message at or after its cursor is handed over,
// and the cursor moves past it: no gap, no duplicate, in order, through every switch.
#include <boost/asio/post.hpp>

#include <algorithm>

#include "libkasocki/kafka/consumer_source.hpp"
#include "libkasocki/kafka/shared_tail_impl.hpp"

namespace kasocki::kafka {

class tail_reader : public std::enable_shared_from_this<tail_reader> {
 public:
  explicit tail_reader(std::shared_ptr<shared_tail::impl> hub) : hub_(std::move(hub)) {}

  void attach(const std::vector<resolved_assignment>& from) {
    std::map<std::string, std::shared_ptr<topic_tail>> tails;
    for (const auto& a : from) {
      cursor c{a.topic, a.partition, a.offset, nullptr, false};
      if (hub_->options_.window_bytes > 0 && !hub_->closed_) {
        auto& tail = tails[a.topic];
        if (!tail) tail = hub_->attach(a.topic, weak_from_this());
        c.tail = tail;
      }
      cursors_.push_back(std::move(c));
    }
  }

  void want(std::size_t max, message_source::batch_handler handler) {
    if (closed_) return;
    pending_ = std::move(handler);
    max_ = std::max<std::size_t>(1, max);
    schedule();
  }

  std::vector<partition_position> positions() const {
    std::vector<partition_position> out;
    for (const auto& c : cursors_) out.push_back({c.topic, c.partition, c.next});
    return out;
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    pending_ = nullptr;
    close_private();
    std::vector<topic_tail*> seen;
    for (auto& c : cursors_) {
      if (!c.tail || std::ranges::find(seen, c.tail.get()) != seen.end()) continue;
      seen.push_back(c.tail.get());
      hub_->detach(c.tail);
    }
  }

  void schedule() {
    if (scheduled_ || closed_) return;
    scheduled_ = true;
    boost::asio::post(hub_->ctx_.loop(), [self = shared_from_this()] {
      self->scheduled_ = false;
      self->step();
    });
  }

  void add_errors(const std::vector<message_error>& errors) {
    errors_.insert(errors_.end(), errors.begin(), errors.end());
    schedule();
  }

 private:
  struct cursor {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next = 0;
    std::shared_ptr<topic_tail> tail;  // null: no shared tail (disabled)
    bool via_private = false;
  };

  // Reads from its private consumer: there is no tail, its tail failed, or it is behind the
  // window.
  static bool needs_private(cursor& c) {
    if (!c.tail || c.tail->state == topic_tail::phase::failed) return true;
    auto* w = c.tail->window(c.partition);
    return w != nullptr && c.next < w->first_offset();
  }

  // Back into the window once the private consumer brought the cursor well inside it (half of
  // it behind), so that a reader at the window's edge does not flap between the two.
  static bool back_in_window(cursor& c) {
    auto* w = c.tail ? c.tail->window(c.partition) : nullptr;
    if (w == nullptr || !w->covers(c.next)) return false;
    return c.next - w->first_offset() >= (w->end_offset() - w->first_offset()) / 2;
  }

  void step() {
    if (closed_ || !pending_) return;
    if (!errors_.empty()) {
      std::vector<message_error> errors(errors_.begin(), errors_.end());
      errors_.clear();
      return hand(message_batch({}, std::move(errors), nullptr));
    }
    if (stash_) {
      auto batch = take_private(*stash_);
      stash_.reset();
      if (!batch.empty()) return hand(std::move(batch));
    }
    // The private consumer reads meanwhile: its next batch is stashed and handed over first,
    // so partitions behind their windows are not starved by those inside.
    reconcile_private();
    if (private_ && !private_wanting_) {
      private_wanting_ = true;
      private_->want_messages(max_,
                              [weak = weak_from_this(), gen = generation_](message_batch batch) {
                                if (auto self = weak.lock())
                                  self->on_private(std::move(batch), gen);
                              });
    }
    if (auto batch = read_windows(); !batch.empty()) return hand(std::move(batch));
    wait_for_tails();
  }

  // Round robin over the partitions reading from windows, from the one after the last served.
  message_batch read_windows() {
    const std::size_t n = cursors_.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_cursor_ + k) % n;
      auto& c = cursors_[i];
      if (c.via_private || !c.tail) continue;
      auto* w = c.tail->window(c.partition);
      if (w == nullptr || !w->covers(c.next) || c.next == w->end_offset()) continue;
      auto batch = w->read(c.next, max_);
      if (batch.messages().empty()) continue;
      c.next = batch.messages().back().offset + 1;
      next_cursor_ = i + 1;
      return batch;
    }
    return {};
  }

  // Opens a private consumer over every partition that needs one, at its cursor; reopens when a
  // partition newly needs it (the old consumer's unread messages are read again by the new one).
  void reconcile_private() {
    bool reopen = false;
    for (auto& c : cursors_) {
      if (!c.via_private && needs_private(c)) {
        c.via_private = true;
        reopen = true;
        if (c.tail) ++hub_->stats_.to_private;
      }
    }
    if (!reopen) return;
    close_private();
    std::vector<resolved_assignment> from;
    for (const auto& c : cursors_)
      if (c.via_private) from.push_back({c.topic, c.partition, c.next, false});
    ++hub_->stats_.private_readers;
    private_open_ = true;
    const auto gen = generation_;
    open_consumer_source(hub_->ctx_, std::move(from), [weak = weak_from_this(), gen](auto source) {
      auto self = weak.lock();
      if (!self || self->generation_ != gen || self->closed_) return;
      if (!source) {
        self->errors_.push_back({"", -1, -1, source.error()});
      } else {
        self->private_ = std::move(source).value();
      }
      self->schedule();
    });
  }

  void close_private() {
    ++generation_;  // answers of the old consumer are dropped
    if (private_) private_->close();
    private_.reset();
    private_wanting_ = false;
    stash_.reset();
    if (private_open_) --hub_->stats_.private_readers;
    private_open_ = false;
  }

  void on_private(message_batch batch, std::uint64_t gen) {
    if (gen != generation_ || closed_) return;
    private_wanting_ = false;
    if (pending_) {
      auto mine = take_private(batch);
      if (!mine.empty()) return hand(std::move(mine));
    } else {
      stash_ = std::move(batch);
    }
    schedule();
  }

  // The messages of a private batch this reader still needs (partitions on the private
  // consumer, at or after their cursors); moves partitions that caught up back to windows.
  message_batch take_private(const message_batch& batch) {
    std::vector<message_view> mine;
    for (const auto& m : batch.messages()) {
      auto* c = find(m.topic, m.partition);
      if (c == nullptr || !c->via_private || m.offset < c->next) continue;
      mine.push_back(m);
      c->next = m.offset + 1;
    }
    bool any_private = false;
    for (auto& c : cursors_) {
      if (c.via_private && back_in_window(c)) {
        c.via_private = false;
        ++hub_->stats_.to_window;
      }
      any_private = any_private || c.via_private;
    }
    std::vector<message_error> errors(batch.errors().begin(), batch.errors().end());
    message_batch out(std::move(mine), std::move(errors), batch.storage());
    if (!any_private) close_private();
    return out;
  }

  // Registers once per tail until its next append (waiting_on_ says where it is registered:
  // scanning the tail's list instead would cost every reader the number of readers).
  void wait_for_tails() {
    for (auto& c : cursors_) {
      if (c.via_private || !c.tail ||
          std::ranges::find(waiting_on_, c.tail.get()) != waiting_on_.end())
        continue;
      waiting_on_.push_back(c.tail.get());
      c.tail->waiters.push_back(weak_from_this());
    }
  }

 public:
  // The tail appended and dropped its waiters list: wake up, registered there no more.
  void woken_by(const topic_tail* tail) {
    std::erase(waiting_on_, tail);
    schedule();
  }

 private:
  cursor* find(std::string_view topic, std::int32_t partition) {
    for (auto& c : cursors_)
      if (c.partition == partition && c.topic == topic) return &c;
    return nullptr;
  }

  void hand(message_batch batch) {
    auto handler = std::move(pending_);
    pending_ = nullptr;
    handler(std::move(batch));
  }

  std::shared_ptr<shared_tail::impl> hub_;
  std::vector<cursor> cursors_;
  std::size_t next_cursor_ = 0;
  message_source::batch_handler pending_;
  std::size_t max_ = 1;
  std::vector<message_error> errors_;
  std::unique_ptr<message_source> private_;
  bool private_open_ = false;
  bool private_wanting_ = false;
  std::optional<message_batch> stash_;
  std::uint64_t generation_ = 0;
  std::vector<const topic_tail*> waiting_on_;
  bool scheduled_ = false;
  bool closed_ = false;
};

namespace {
class tail_source final : public message_source {
 public:
  explicit tail_source(std::shared_ptr<tail_reader> reader) : reader_(std::move(reader)) {}
  ~tail_source() override { reader_->close(); }
  void want_messages(std::size_t max, batch_handler handler) override {
    reader_->want(max, std::move(handler));
  }
  std::vector<partition_position> positions() const override { return reader_->positions(); }
  void close() override { reader_->close(); }

 private:
  std::shared_ptr<tail_reader> reader_;
};
}  // namespace

std::unique_ptr<message_source> make_tail_source(std::shared_ptr<shared_tail::impl> hub,
                                                 const std::vector<resolved_assignment>& from) {
  auto reader = std::make_shared<tail_reader>(std::move(hub));
  reader->attach(from);
  return std::make_unique<tail_source>(std::move(reader));
}

void wake(const std::weak_ptr<tail_reader>& reader) {
  if (auto r = reader.lock()) r->schedule();
}

void wake_waiter(const std::weak_ptr<tail_reader>& reader, const topic_tail* tail) {
  if (auto r = reader.lock()) r->woken_by(tail);
}

void report(const std::weak_ptr<tail_reader>& reader, const std::vector<message_error>& errors) {
  if (auto r = reader.lock()) r->add_errors(errors);
}

}  // namespace kasocki::kafka
