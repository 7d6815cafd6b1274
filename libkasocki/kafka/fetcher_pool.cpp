// The history fetchers: jobs, their queue, their fetchers (opened when first needed, kept for
// the next jobs), and what a job does with each batch. See fetcher_pool.hpp.
#include "libkasocki/kafka/fetcher_pool.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>

#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/consumer_source.hpp"

namespace kasocki::kafka {

struct fetcher_pool::job {
  std::string topic;
  std::int32_t partition = 0;
  std::int64_t start = 0;
  std::int64_t position = 0;  // the offsets before it, from the start on, are in the store
  std::int64_t cap = 0;       // ends here at the latest
  std::int64_t interest = 0;  // the furthest position of a reader behind it
  // How far that position moved by reading since the job started (not by readers that joined
  // ahead of it): their pace sets the lead.
  std::int64_t read = 0;
  std::chrono::steady_clock::time_point started;  // on a fetcher
  std::vector<std::weak_ptr<fetch_waiter>> waiters;
  bool parked = false;  // `lead` ahead of its readers: librdkafka's bounded queue waits for them
};

struct fetcher_pool::slot {
  explicit slot(const client_context::loop_executor& loop) : idle(loop) {}
  std::unique_ptr<fetch_consumer> consumer;
  boost::asio::steady_timer idle;  // ends a job that gets nothing
  std::shared_ptr<job> current;
  bool opening = false;
  std::uint64_t generation = 0;  // answers for an earlier job are dropped
};

namespace {
void wake(std::vector<std::weak_ptr<fetch_waiter>> waiters, const std::string& topic,
          std::int32_t partition, const std::vector<message_error>& errors) {
  for (const auto& w : waiters)
    if (auto waiter = w.lock()) waiter->fetched(topic, partition, errors);
}
}  // namespace

fetcher_pool::fetcher_pool(client_context& ctx, history_store& store, fetch_options options,
                           partition_store::prepare_hook& prepare, live_position live)
    : ctx_(ctx), store_(store), options_(options), prepare_(prepare), live_(std::move(live)) {}

fetcher_pool::~fetcher_pool() {
  close();
}

void fetcher_pool::close() {
  closed_ = true;
  for (auto& s : slots_) {
    ++s->generation;
    s->idle.cancel();
    if (s->consumer) s->consumer->close();
    s->consumer.reset();
  }
  slots_.clear();
  queue_.clear();
}

void fetcher_pool::want(const std::string& topic, std::int32_t partition, std::int64_t from,
                        std::int64_t reader, std::weak_ptr<fetch_waiter> waiter) {
  if (closed_) return;
  auto share = [&](job& j) {
    if (j.topic != topic || j.partition != partition || from < j.position || from >= j.cap ||
        from - j.position > options_.share_distance)
      return false;
    j.interest = std::max(j.interest, reader);
    if (!waiter.expired()) j.waiters.push_back(waiter);
    return true;
  };
  for (const auto& s : slots_)
    if (s->current && share(*s->current)) return unpark_if_needed(s);
  for (const auto& j : queue_)
    if (share(*j)) return;
  auto j = std::make_shared<job>();
  j->topic = topic;
  j->partition = partition;
  j->start = from;
  j->position = from;
  j->cap = from + options_.job_offsets;
  j->interest = reader;
  if (!waiter.expired()) j->waiters.push_back(std::move(waiter));
  queue_.push_back(std::move(j));
  dispatch();
}

void fetcher_pool::reading(const std::string& topic, std::int32_t partition, std::int64_t offset) {
  for (const auto& s : slots_) {
    auto* j = s->current.get();
    if (j != nullptr && j->partition == partition && offset <= j->position && j->topic == topic &&
        offset > j->interest) {
      j->read += offset - j->interest;
      j->interest = offset;
      unpark_if_needed(s);
    }
  }
}

bool fetcher_pool::done(job& j) {
  // What another job or the live reader cached meanwhile needs no fetch.
  if (const auto* p = store_.find(j.topic, j.partition); p && p->covers(j.position)) return true;
  if (auto live = live_(j.topic, j.partition); live && j.position >= *live) return true;
  return j.position >= j.cap;
}

bool fetcher_pool::had_turn(const job& j) const {
  return j.position - j.start >= options_.turn;
}

std::int64_t paced_lead(const fetch_options& options, std::int64_t read,
                        std::chrono::steady_clock::duration elapsed) {
  if (read <= options.lead || elapsed < options.pace_after || elapsed.count() <= 0)
    return options.lead;
  const auto paced = static_cast<double>(read) *
                     std::chrono::duration<double>(options.lead_time).count() /
                     std::chrono::duration<double>(elapsed).count();
  if (paced < static_cast<double>(options.fast_leads * options.lead)) return options.lead;
  return std::clamp(static_cast<std::int64_t>(paced), options.lead, options.max_lead());
}

std::int64_t fetcher_pool::lead(const job& j) const {
  return paced_lead(options_, j.read, std::chrono::steady_clock::now() - j.started);
}

bool fetcher_pool::ahead(const job& j) const {
  return j.position - j.interest > lead(j);
}

// A job ahead of its readers stops taking from librdkafka, which holds the rest of one record
// batch and fetches no more until it is taken (kafka_config::fetcher_queue_min_messages; a
// paused partition would have its queue dropped and read again on resume). Ending the job instead
// would drop that queue, read again by the next job: for readers slower than Kafka, one
// queue's worth per `lead` offsets. It ends if no reader comes near within the idle time, or,
// while jobs wait for a fetcher, once it had its turn (at once) or within parked_turn.
void fetcher_pool::park(const std::shared_ptr<slot>& s) {
  s->current->parked = true;
  arm_idle(s);
  if (!queue_.empty()) arm_parked_turn(s);
}

// Only once its readers are within half the lead: every take is then at least half a lead of
// messages, not the one or two they read since (each append wakes every reader of the range).
void fetcher_pool::unpark_if_needed(const std::shared_ptr<slot>& s) {
  if (!s->current || !s->current->parked) return;
  const auto& j = *s->current;
  if (j.position - j.interest > lead(j) / 2) return;
  s->current->parked = false;
  pull(s);
}

// Ends the job when the fetcher gets nothing (or, parked, no reader comes near) for this long.
void fetcher_pool::arm_idle(const std::shared_ptr<slot>& s) {
  s->idle.expires_after(options_.idle);
  wait_idle(s);
}

void fetcher_pool::arm_parked_turn(const std::shared_ptr<slot>& s) {
  const auto at = std::chrono::steady_clock::now() + options_.parked_turn;
  if (s->idle.expiry() <= at) return;  // already sooner
  s->idle.expires_at(at);
  wait_idle(s);
}

void fetcher_pool::wait_idle(const std::shared_ptr<slot>& s) {
  s->idle.async_wait(
      [this, weak = std::weak_ptr<slot>(s), gen = s->generation](boost::system::error_code ec) {
        auto s = weak.lock();
        if (ec || !s || s->generation != gen || closed_ || !s->current) return;
        finish(s, {});
      });
}

void fetcher_pool::dispatch() {
  while (!queue_.empty() && !closed_) {
    std::shared_ptr<slot> idle;
    for (const auto& s : slots_)
      if (!s->current && !s->opening) idle = s;
    if (!idle && slots_.size() < std::max<std::size_t>(1, options_.fetchers)) {
      idle = std::make_shared<slot>(ctx_.loop());
      slots_.push_back(idle);
    }
    if (!idle) {
      // Every fetcher is busy: a parked job that had its turn gives way (its readers ask again
      // when they come near its end); the other parked ones within parked_turn.
      for (const auto& s : slots_)
        if (s->current && s->current->parked && had_turn(*s->current))
          return finish(s, {});  // dispatches again
      for (const auto& s : slots_)
        if (s->current && s->current->parked) arm_parked_turn(s);
      return;
    }
    auto j = std::move(queue_.front());
    queue_.pop_front();
    if (done(*j)) {  // its readers find the offsets cached (or ask again)
      wake(std::move(j->waiters), j->topic, j->partition, {});
      continue;
    }
    j->started = std::chrono::steady_clock::now();
    idle->current = std::move(j);
    run(idle);
  }
}

void fetcher_pool::run(const std::shared_ptr<slot>& s) {
  ++stats_.jobs;
  const auto gen = ++s->generation;
  std::weak_ptr<slot> weak = s;
  auto assign = [this, weak, gen] {
    auto s = weak.lock();
    if (!s || s->generation != gen || closed_ || !s->current) return;
    const auto& j = *s->current;
    s->consumer->reassign({{j.topic, j.partition, j.position, false}}, [this, weak, gen](status r) {
      auto s = weak.lock();
      if (!s || s->generation != gen || closed_) return;
      if (!r) return finish(s, {{s->current->topic, s->current->partition, -1, r.error()}});
      pull(s);
    });
  };
  if (s->consumer) return assign();
  s->opening = true;
  open_fetch_consumer(ctx_, [this, weak, assign](result<std::unique_ptr<fetch_consumer>> c) {
    auto s = weak.lock();
    if (!s || closed_) {
      if (c) c.value()->close();
      return;
    }
    s->opening = false;
    if (!c) return finish(s, {{s->current->topic, s->current->partition, -1, c.error()}});
    s->consumer = std::move(c).value();
    assign();
  });
}

void fetcher_pool::pull(const std::shared_ptr<slot>& s) {
  std::weak_ptr<slot> weak = s;
  arm_idle(s);
  // Takes no more than brings the job `lead` ahead of its readers: the rest waits in
  // librdkafka's queue until they come near.
  const auto& j = *s->current;
  const auto room = std::max<std::int64_t>(1, j.interest + lead(j) + 1 - j.position);
  const auto take = std::min<std::size_t>(options_.fetch_batch, static_cast<std::size_t>(room));
  s->consumer->want_messages(take, [this, weak, gen = s->generation](message_batch batch) {
    auto s = weak.lock();
    if (!s || s->generation != gen || closed_ || !s->current) return;
    on_batch(s, batch);
  });
}

void fetcher_pool::on_batch(const std::shared_ptr<slot>& s, const message_batch& batch) {
  auto& j = *s->current;
  std::vector<message_error> errors;
  bool ended = false;
  for (const auto& e : batch.errors()) {
    if (e.error.kind() == kafka_errc::offset_out_of_range) return on_reset(s, j.position);
    // An error of this partition ends the job (its readers ask again, later); one of the
    // client as a whole (broker down, ...) is passed on, and the job goes on when Kafka is back.
    if (e.partition >= 0) ended = true;
    errors.push_back(e);
  }
  std::vector<message_view> mine;
  mine.reserve(batch.messages().size());
  for (const auto& m : batch.messages()) {
    if (m.partition != j.partition || m.offset < j.position || m.topic != j.topic) continue;
    mine.push_back(m);
    stats_.fetched_bytes += m.value.size() + (m.key ? m.key->size() : 0);
  }
  stats_.fetched_messages += mine.size();
  std::optional<std::uint64_t> hold;
  if (!mine.empty()) {
    auto r = store_.append(j.topic, j.partition, j.position, mine, false, prepare_);
    j.position = r.position;
    hold = store_.hold_last_append();
  }
  if (ended || done(j)) {
    finish(s, errors);
  } else {
    wake(std::move(j.waiters), j.topic, j.partition, errors);
    j.waiters.clear();
    // Others wait for a fetcher: a job that stored its turn since it started gives way, so the
    // queue turns (its readers ask again at its end). Without this, jobs whose readers kept
    // reading held every fetcher while the jobs of other partitions waited (docs/PERFORMANCE.md).
    if (!queue_.empty() && had_turn(j)) {
      if (hold) release_after_wakes(s, *hold);
      return finish(s, {});
    }
    if (ahead(j))
      park(s);
    else
      pull(s);
  }
  if (hold) release_after_wakes(s, *hold);
}

// The readers woken for an append run on the loop's next turns (their handlers were posted
// while it was woken); the release is posted after them, so they find what woke them.
void fetcher_pool::release_after_wakes(const std::shared_ptr<slot>& s, std::uint64_t hold) {
  boost::asio::post(ctx_.loop(), [this, weak = std::weak_ptr<slot>(s), hold] {
    if (weak.lock() && !closed_) store_.release(hold);  // else the pool is gone
  });
}

// The job's position is gone (retention) or past the end: the gap up to the low watermark is
// marked in the store, and its readers jump where auto.offset.reset says when they reach it.
void fetcher_pool::on_reset(const std::shared_ptr<slot>& s, std::int64_t at) {
  const auto gen = ++s->generation;  // the consumer's answers for this job no longer count
  const auto& j = *s->current;
  partition_request request{j.topic, j.partition, start_position::at_offset(at)};
  ctx_.run_blocking(
      [rk = ctx_.query_handle(), request, timeout = ctx_.config().query_timeout] {
        auto low = resolve_blocking(rk, {request}, offset_reset::earliest, timeout);
        auto high = resolve_blocking(rk, {request}, offset_reset::latest, timeout);
        if (!low) return low;
        if (!high) return high;
        return result<std::vector<resolved_assignment>>(
            std::vector<resolved_assignment>{low.value().front(), high.value().front()});
      },
      [this, weak = std::weak_ptr<slot>(s), gen, at,
       policy = ctx_.config().auto_offset_reset](result<std::vector<resolved_assignment>> r) {
        auto s = weak.lock();
        if (!s || s->generation != gen || closed_ || !s->current) return;
        const auto& j = *s->current;
        if (!r) return finish(s, {{j.topic, j.partition, at, r.error()}});
        const auto& low = r.value()[0];
        const auto& high = r.value()[1];
        std::optional<std::uint64_t> hold;
        if (low.reset && at < low.offset) {
          const auto to = policy == offset_reset::earliest ? low.offset : high.offset;
          if (store_.mark_reset(j.topic, j.partition, at, low.offset, to))
            hold = store_.hold_last_append();
        }
        finish(s, {});  // past the end, or back in range meanwhile: the readers ask again
        if (hold) release_after_wakes(s, *hold);
      });
}

void fetcher_pool::finish(const std::shared_ptr<slot>& s,
                          const std::vector<message_error>& errors) {
  auto j = std::move(s->current);
  s->current.reset();
  ++s->generation;
  s->idle.cancel();
  if (j) wake(std::move(j->waiters), j->topic, j->partition, errors);
  dispatch();
}

fetch_stats fetcher_pool::stats() const {
  fetch_stats out = stats_;
  out.fetchers = 0;
  for (const auto& s : slots_) {
    if (s->consumer) ++out.fetchers;
    if (s->current) ++out.busy;
    if (s->current && s->current->parked) ++out.parked;
  }
  out.queued = queue_.size();
  return out;
}

}  // namespace kasocki::kafka
