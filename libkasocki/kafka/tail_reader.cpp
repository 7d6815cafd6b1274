// One client's source over the shared reads: a cursor per assigned partition (the next offset to
// hand over), and nothing else but the errors it has to pass on. A cursor inside a cached range
// reads from the store; at the live reader's position it waits for the next append; anywhere
// else it has the fetchers fill the store from there and waits for them. Only a partition's
// message at or after its cursor is handed over, and the cursor moves past it: no gap, no
// duplicate, in order, through every range, eviction and reset.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>

#include "libkasocki/kafka/shared_tail_impl.hpp"

namespace kasocki::kafka {

namespace {
// A partition whose job ended on an error of its own (topic deleted, ...) is asked for again
// after this long, not at once: its reader would meet the same error in a loop.
constexpr std::chrono::seconds retry_after{1};
// How far a reader looks for the end of the range it reads, in chunks (read-ahead).
constexpr std::size_t lookahead_chunks = 64;
// Messages handed over at most per read: what a session has not sent yet pins the chunks it
// came from, evicted or not, so a thousand readers far apart each pin a few chunks, not a
// thousand messages' worth (the store refills them as they drain). Small enough that a client
// of several partitions gets them interleaved finely: with 1,024 it could be that much further
// into one partition than into another, and clients that leave at the end of a range had each
// partition read up to that far beyond it (history_same received 1.35x its range; 1.01-1.10x
// with 256, 1.03-1.04x with 128, at the same replay rate).
constexpr std::size_t max_read = 128;
}  // namespace

class tail_reader : public fetch_waiter, public std::enable_shared_from_this<tail_reader> {
 public:
  explicit tail_reader(std::shared_ptr<shared_tail::impl> hub)
      : hub_(std::move(hub)), retry_(hub_->ctx_.loop()) {}

  void attach(const std::vector<resolved_assignment>& from) {
    std::map<std::string, std::shared_ptr<topic_tail>> tails;
    for (const auto& a : from) {
      cursor c{a.topic, a.partition, a.offset, nullptr};
      if (!hub_->closed_) {
        auto& tail = tails[a.topic];
        if (!tail) tail = hub_->attach(a.topic, weak_from_this());
        c.tail = tail;
      }
      hub_->store_.add_reader(c.topic, c.partition, c.next);
      cursors_.push_back(std::move(c));
    }
  }

  void want(std::size_t max, message_source::batch_handler handler) {
    if (closed_) return;
    pending_ = std::move(handler);
    max_ = std::clamp<std::size_t>(max, 1, max_read);
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
    retry_.cancel();
    for (const auto& c : cursors_)
      if (!c.gone) hub_->store_.remove_reader(c.topic, c.partition, c.next);
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

  void fetched(const std::string& topic, std::int32_t partition,
               const std::vector<message_error>& errors) override {
    if (auto* c = find(topic, partition)) {
      c->fetching = false;
      for (const auto& e : errors)
        if (e.partition >= 0) c->retry_at = std::chrono::steady_clock::now() + retry_after;
    }
    add_errors(errors);
  }

  // The topic was deleted: its cursors stop where they are, and the client hears it once.
  void topic_deleted(const std::string& topic) {
    bool had = false;
    for (auto& c : cursors_) {
      if (c.topic != topic || c.gone) continue;
      hub_->store_.remove_reader(c.topic, c.partition, c.next);
      c.gone = true;
      had = true;
    }
    if (had)
      add_errors({{topic, -1, -1, kafka::topic_deleted("the topic " + topic + " was deleted")}});
  }

  // The tail appended and dropped its waiters list: wake up, registered there no more.
  void woken_by(const topic_tail* tail) {
    std::erase(waiting_on_, tail);
    schedule();
  }

 private:
  struct cursor {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t next = 0;
    std::shared_ptr<topic_tail> tail;  // null once the hub is closed
    bool fetching = false;             // registered on a fetch job, not yet woken
    bool gone = false;                 // its topic was deleted: nothing more is read
    std::chrono::steady_clock::time_point retry_at{};
  };

  void step() {
    if (closed_ || !pending_) return;
    if (!errors_.empty()) {
      std::vector<message_error> errors(errors_.begin(), errors_.end());
      errors_.clear();
      return hand(message_batch({}, std::move(errors), nullptr));
    }
    // Round robin over the partitions, from the one after the last served.
    const std::size_t n = cursors_.size();
    bool moved = false;
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = (next_cursor_ + k) % n;
      auto& c = cursors_[i];
      if (c.gone) continue;
      auto r = hub_->store_.read(c.topic, c.partition, c.next, max_);
      if (r.reset_to) {
        ++hub_->stats_.resets;
        message_error e{c.topic, c.partition, c.next,
                        offset_out_of_range("the position was deleted by retention"), *r.reset_to};
        move(c, *r.reset_to);
        next_cursor_ = i + 1;
        return hand(message_batch({}, {std::move(e)}, nullptr));
      }
      if (r.next > c.next || !r.batch.empty()) {
        move(c, r.next);
        read_ahead(c);
        if (r.batch.empty()) {  // only offsets without messages: look again
          moved = true;
          continue;
        }
        ++hub_->stats_.hits;
        next_cursor_ = i + 1;
        return hand(std::move(r.batch));
      }
      need(c);
    }
    if (moved) schedule();
  }

  // The store knows every cursor: what is behind them all can go.
  void move(cursor& c, std::int64_t to) {
    hub_->store_.move_reader(c.topic, c.partition, c.next, to);
    c.next = to;
  }

  // The cursor is in no cached range: the live reader will get there, or a fetcher must.
  void need(cursor& c) {
    if (!c.tail) return;                                       // closed
    if (c.tail->state == topic_tail::phase::starting) return;  // attached: woken when ready
    auto live = c.tail->live_position(c.partition);
    if (live && c.next >= *live) {
      if (std::ranges::find(waiting_on_, c.tail.get()) == waiting_on_.end()) {
        // Registered once per tail until its next append (scanning the tail's list instead
        // would cost every reader the number of readers).
        waiting_on_.push_back(c.tail.get());
        c.tail->waiters.push_back(weak_from_this());
      }
      return;
    }
    if (c.fetching) return;
    const auto now = std::chrono::steady_clock::now();
    if (now < c.retry_at) return arm_retry(c.retry_at);
    c.fetching = true;
    ++hub_->stats_.misses;
    hub_->fetchers_.want(c.topic, c.partition, c.next, c.next, weak_from_this());
  }

  // Near the end of a range that the live reader does not extend: the next offsets are
  // fetched while this reader reads what is cached.
  void read_ahead(const cursor& c) {
    hub_->fetchers_.reading(c.topic, c.partition, c.next);
    const auto* store = hub_->store_.find(c.topic, c.partition);
    if (store == nullptr || !store->covers(c.next)) return;
    const auto end = store->range_end(c.next, lookahead_chunks);
    if (end - c.next > hub_->options_.readahead || store->covers(end)) return;
    auto live = c.tail ? c.tail->live_position(c.partition) : std::nullopt;
    if (live && end >= *live) return;
    hub_->fetchers_.want(c.topic, c.partition, end, c.next, {});
  }

  void arm_retry(std::chrono::steady_clock::time_point at) {
    if (retry_armed_) return;
    retry_armed_ = true;
    retry_.expires_at(at);
    retry_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->retry_armed_ = false;
      if (!ec) self->schedule();
    });
  }

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
  std::vector<const topic_tail*> waiting_on_;
  boost::asio::steady_timer retry_;
  bool retry_armed_ = false;
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

void report_deleted(const std::weak_ptr<tail_reader>& reader, const std::string& topic) {
  if (auto r = reader.lock()) r->topic_deleted(topic);
}

}  // namespace kasocki::kafka
