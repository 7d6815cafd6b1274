// The hub of the shared reads: the store, the fetchers, and one live reader per topic, started a
// little before the end (tail_options::backfill), whose batches go into the store (prepared
// once by the gateway's hook, kept within the window budget) and are announced to the waiting
// readers. A tail nobody reads lingers, then closes; what it appended stays cached as history.
#include "libkasocki/kafka/shared_tail.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <map>

#include "libkasocki/kafka/consumer_source.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/kafka/shared_tail_impl.hpp"

namespace kasocki::kafka {

shared_tail::impl::impl(client_context& ctx, metadata_cache& metadata, tail_options options)
    : ctx_(ctx),
      metadata_(metadata),
      options_(options),
      store_(store_options{options.window_bytes,
                           options.cache_bytes,
                           options.fetch.share_distance + options.fetch.lead,
                           {}}),
      fetchers_(ctx, store_, options.fetch, prepare_,
                [this](const std::string& topic, std::int32_t partition) {
                  return live_position(topic, partition);
                }),
      topic_check_(ctx.loop()) {}

std::optional<std::int64_t> shared_tail::impl::live_position(const std::string& topic,
                                                             std::int32_t partition) {
  auto it = tails_.find(topic);
  if (it == tails_.end()) return std::nullopt;
  return it->second->live_position(partition);
}

std::shared_ptr<topic_tail> shared_tail::impl::attach(const std::string& topic,
                                                      std::weak_ptr<tail_reader> reader) {
  auto& tail = tails_[topic];
  if (!tail) {
    tail = std::make_shared<topic_tail>(topic, ctx_.loop());
    start(tail);
  }
  ++tail->users;
  tail->linger.cancel();
  watch_topics();
  std::erase_if(tail->attached, [](const auto& w) { return w.expired(); });
  tail->attached.push_back(std::move(reader));
  return tail;
}

void shared_tail::impl::detach(const std::shared_ptr<topic_tail>& tail) {
  if (tail->users > 0) --tail->users;
  if (tail->users > 0 || closed_) return;
  tail->linger.expires_after(options_.linger);
  tail->linger.async_wait([weak = std::weak_ptr<topic_tail>(tail),
                           hub = weak_from_this()](boost::system::error_code ec) {
    auto tail = weak.lock();
    auto self = hub.lock();
    if (ec || !tail || !self || tail->users > 0) return;
    self->drop(tail);
  });
}

void shared_tail::impl::drop(const std::shared_ptr<topic_tail>& tail) {
  auto it = tails_.find(tail->topic);
  if (it != tails_.end() && it->second == tail) tails_.erase(it);
  for (auto& [partition, position] : tail->live) store_.end_live(tail->topic, partition);
  tail->live.clear();
  if (tail->reader) tail->reader->close();
  tail->reader.reset();
  tail->state = topic_tail::phase::failed;  // readers still holding it go private
  for (const auto& r : tail->attached) wake(r);
}

void shared_tail::impl::close() {
  closed_ = true;
  topic_check_.cancel();
  auto tails = tails_;
  for (auto& [topic, tail] : tails) {
    tail->linger.cancel();
    drop(tail);
  }
  fetchers_.close();
}

// The end of every partition, then the offsets `backfill` before it (clamped to what the log
// still holds), then a consumer there.
void shared_tail::impl::start(const std::shared_ptr<topic_tail>& tail) {
  auto snapshot = metadata_.snapshot();
  if (!snapshot || !snapshot->healthy) return fail(tail, invalid_argument("no Kafka metadata"));
  std::vector<assignment_request> at_end{{tail->topic, std::nullopt, start_position::at_end()}};
  std::weak_ptr<topic_tail> weak = tail;
  resolve_assignments(
      ctx_, *snapshot, std::move(at_end),
      [self = shared_from_this(), weak, snapshot](result<std::vector<resolved_assignment>> ends) {
        auto tail = weak.lock();
        if (!tail || tail->state != topic_tail::phase::starting) return;
        if (!ends) return self->fail(tail, ends.error());
        std::vector<assignment_request> back;
        for (const auto& e : ends.value()) {
          back.push_back({e.topic, e.partition,
                          start_position::at_offset(
                              std::max<std::int64_t>(0, e.offset - self->options_.backfill))});
        }
        resolve_assignments(self->ctx_, *snapshot, std::move(back),
                            [self, weak](result<std::vector<resolved_assignment>> from) {
                              auto tail = weak.lock();
                              if (!tail || tail->state != topic_tail::phase::starting) return;
                              if (!from) return self->fail(tail, from.error());
                              self->open_reader(tail, std::move(from).value());
                            });
      });
}

void shared_tail::impl::open_reader(const std::shared_ptr<topic_tail>& tail,
                                    std::vector<resolved_assignment> from) {
  std::weak_ptr<topic_tail> weak = tail;
  auto starts = from;
  open_consumer_source(ctx_, std::move(from),
                       [self = shared_from_this(), weak, starts](auto source) mutable {
                         auto tail = weak.lock();
                         if (!tail || tail->state != topic_tail::phase::starting) return;
                         if (!source) return self->fail(tail, source.error());
                         tail->reader = std::move(source).value();
                         for (const auto& s : starts) tail->live.emplace(s.partition, s.offset);
                         tail->state = topic_tail::phase::ready;
                         for (const auto& r : tail->attached) wake(r);
                         self->pull(tail);
                       });
}

void shared_tail::impl::pull(const std::shared_ptr<topic_tail>& tail) {
  if (!tail->reader) return;
  tail->reader->want_messages(
      options_.fetch_batch,
      [self = shared_from_this(), weak = std::weak_ptr<topic_tail>(tail)](message_batch batch) {
        auto tail = weak.lock();
        if (!tail || tail->state != topic_tail::phase::ready) return;
        self->on_batch(tail, batch);
        self->pull(tail);
      });
}

void shared_tail::impl::on_batch(const std::shared_ptr<topic_tail>& tail,
                                 const message_batch& batch) {
  if (!batch.errors().empty()) {
    std::vector<message_error> errors(batch.errors().begin(), batch.errors().end());
    for (const auto& r : tail->attached) report(r, errors);
  }
  // A batch mixes partitions; each partition's run goes into its store in order.
  std::map<std::int32_t, std::vector<message_view>> runs;
  for (const auto& m : batch.messages()) runs[m.partition].push_back(m);
  std::vector<std::uint64_t> holds;
  for (auto& [partition, run] : runs) {
    auto it = tail->live.find(partition);
    if (it == tail->live.end()) continue;
    it->second = store_.append(tail->topic, partition, it->second, run, true, prepare_).position;
    holds.push_back(store_.hold_last_append());
  }
  auto waiters = std::move(tail->waiters);
  tail->waiters.clear();
  for (const auto& r : waiters) wake_waiter(r, tail.get());
  // Released after the woken readers ran (their turns were posted above): what a small window
  // gave to the cache is still there when they read.
  if (!holds.empty()) {
    boost::asio::post(ctx_.loop(), [self = shared_from_this(), holds = std::move(holds)] {
      for (auto h : holds) self->store_.release(h);
    });
  }
}

void shared_tail::impl::fail(const std::shared_ptr<topic_tail>& tail, const kafka_error& error) {
  // The readers fetch what they need instead, and meet the error there again if it lasts.
  (void)error;
  drop(tail);
}

// A deleted topic's consumers told nothing within 15 s in the tests (librdkafka waits
// topic.metadata.propagation.max.ms, 30 s, before it takes a topic for gone): the metadata says
// it sooner. Once a second, while topics are read, the latest snapshot is looked at (no request
// of its own); a topic it lacks is asked for again, and missing from a later snapshot too, it was
// deleted (not a broker's answer that has not caught up with it yet): its readers are told, and
// read nothing more of it.
void shared_tail::impl::watch_topics() {
  if (checking_ || closed_) return;
  checking_ = true;
  topic_check_.expires_after(std::chrono::seconds(1));
  topic_check_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->checking_ = false;
    self->check_topics();
    if (!self->tails_.empty()) self->watch_topics();
  });
}

void shared_tail::impl::check_topics() {
  auto snapshot = metadata_.snapshot();
  if (!snapshot || !snapshot->healthy || closed_) return;
  std::vector<std::shared_ptr<topic_tail>> deleted;
  bool ask = false;
  for (const auto& [topic, tail] : tails_) {
    if (snapshot->topics.contains(topic)) {
      missing_.erase(topic);
      continue;
    }
    auto [it, first] = missing_.try_emplace(topic, snapshot->fetched_at);
    if (first || snapshot->fetched_at <= it->second) {
      ask = true;
    } else {
      deleted.push_back(tail);
      missing_.erase(it);
    }
  }
  std::erase_if(missing_, [this](const auto& m) { return !tails_.contains(m.first); });
  if (ask) metadata_.refresh([](const snapshot_ptr&) {});
  for (const auto& tail : deleted) {
    for (const auto& r : tail->attached) report_deleted(r, tail->topic);
    drop(tail);
  }
}

// ---- shared_tail ----

shared_tail::shared_tail(client_context& ctx, metadata_cache& metadata, tail_options options)
    : impl_(std::make_shared<impl>(ctx, metadata, options)) {}

shared_tail::~shared_tail() {
  impl_->close();
}

void shared_tail::set_prepare_hook(prepare_hook hook) {
  impl_->prepare_ = std::move(hook);
}

std::unique_ptr<message_source> shared_tail::open(
    const std::vector<resolved_assignment>& assignments) {
  return make_tail_source(impl_, assignments);
}

tail_stats shared_tail::stats() const {
  tail_stats s = impl_->stats_;
  s.tails = impl_->tails_.size();
  s.store = impl_->store_.stats();
  s.ranges = impl_->store_.ranges();
  s.fetch = impl_->fetchers_.stats();
  return s;
}

void shared_tail::close() {
  impl_->close();
}

}  // namespace kasocki::kafka
