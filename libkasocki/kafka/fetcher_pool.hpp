// The history fetchers: a small bounded pool of long-lived Kafka consumers that fill the
// history store (history_store.hpp) on demand. A reader whose cursor is in no cached range asks
// for it; a job already running (or queued) on that partition that will reach the cursor soon is
// shared, else a new job starts at the cursor. A job streams: every batch goes into the store at
// once and wakes the readers waiting on it. It ends where the store already has the offsets, at
// the live reader's position, or after fetch_options::job_offsets. When it is `lead` offsets
// ahead of the furthest reader that read behind it (more for a reader that reads fast), it is
// parked until they come near: so it never runs far ahead of its readers, and what librdkafka
// read ahead is not read twice. Jobs wait in one queue, first come first served: one per
// (partition, position), whoever asked for it. While jobs wait, the fetchers turn: a job that has
// stored `turn` offsets gives its fetcher to the first waiting one, parked or not; one parked for
// `parked_turn` does too. A position retention deleted is marked in the store as a reset gap (per
// auto.offset.reset). Does network I/O through librdkafka; event-loop thread only.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkasocki/kafka/history_store.hpp"
#include "libkasocki/kafka/message_source.hpp"

namespace kasocki::kafka {

class client_context;
class fetch_consumer;

struct fetch_options {
  std::size_t fetchers = 6;            // Kafka consumers filling the history store
  std::int64_t job_offsets = 200'000;  // offsets a job reads at most before it ends
  // A reader at most this many offsets ahead of a job's position waits for it instead of
  // starting its own.
  std::int64_t share_distance = 20'000;
  // A job this many offsets ahead of the furthest reader that read behind it waits for them
  // (parked): what is stored beyond what readers read is at most this (max_lead() for a fast
  // reader) per partition, plus a batch; librdkafka's read-ahead beyond that is the rest of one
  // record batch (kafka_config::fetcher_queue_min_messages).
  std::int64_t lead = 128;
  // A job whose furthest reader reads fast runs further ahead: as far as it reads in lead_time
  // at its pace since the job started, up to lead_growth x lead (paced_lead; with these values
  // 4 x lead for every fast reader). Fast is at least fast_leads x lead in lead_time (2,048
  // offsets a second), over at least pace_after: a reader that catches up with what a job just
  // stored reads a few hundred offsets at once. A job parks and goes on every half lead, each
  // time a take from its fetcher and wake-ups: with 128, a lone client pulling one message at a
  // time from history ran 11 % slower than with 1,000 (docs/PERFORMANCE.md). Up to 16 x lead
  // brought that one back but made a lone client pushed history 12 % slower; with 4 x lead the
  // pushed one is as before and the pulling one 6 % below a lead of 1,000. A thousand clients
  // reading history far apart read about 1,500 a second each and keep `lead`: when their first
  // bursts counted, the store took 1.9x the topic, not 1.7x.
  std::chrono::milliseconds lead_time{250};
  std::chrono::milliseconds pace_after{500};
  std::int64_t fast_leads = 4;
  std::int64_t lead_growth = 4;
  std::int64_t max_lead() const { return lead * std::max<std::int64_t>(1, lead_growth); }
  // While jobs wait for a fetcher, a job gives way once it has stored this many offsets (parked
  // or not). Each turn costs a new fetch position (Kafka sends the whole record batch that holds
  // it) and what librdkafka read ahead; so a turn is longer than a lead.
  std::int64_t turn = 2'000;
  // A parked job that has not had its turn gives way after this long while jobs wait: its
  // readers may have stopped reading.
  std::chrono::milliseconds parked_turn{1000};
  std::size_t fetch_batch = 4096;  // messages a fetcher asks for at a time
  // A job that gets nothing for this long ends: its fetcher serves the queue, and its readers ask
  // again. Where only transaction markers are left before the live position (or Kafka is down),
  // a job would otherwise hold its fetcher until new messages come. 5 s.
  std::chrono::milliseconds idle{5000};
};

// The lead of a job whose furthest reader behind it read `read` offsets in `elapsed` since it
// started: `lead`, or for a fast reader what it reads in lead_time at that pace, at most
// max_lead(). The pace counts once pace_after has passed.
std::int64_t paced_lead(const fetch_options& options, std::int64_t read,
                        std::chrono::steady_clock::duration elapsed);

// Told when a job it waits on appended to the store or ended (errors: what the job met).
class fetch_waiter {
 public:
  virtual ~fetch_waiter() = default;
  virtual void fetched(const std::string& topic, std::int32_t partition,
                       const std::vector<message_error>& errors) = 0;
};

struct fetch_stats {
  std::size_t fetchers = 0;         // open
  std::size_t busy = 0;             // running a job
  std::size_t parked = 0;           // of the busy: waiting for its readers to come near
  std::size_t queued = 0;           // jobs waiting for a fetcher
  std::uint64_t jobs = 0;           // started, in total
  std::uint64_t fetched_bytes = 0;  // values and keys read from Kafka, in total
  std::uint64_t fetched_messages = 0;
};

class fetcher_pool {
 public:
  using live_position =
      std::function<std::optional<std::int64_t>(const std::string&, std::int32_t)>;

  fetcher_pool(client_context& ctx, history_store& store, fetch_options options,
               partition_store::prepare_hook& prepare, live_position live);
  ~fetcher_pool();
  fetcher_pool(const fetcher_pool&) = delete;
  fetcher_pool& operator=(const fetcher_pool&) = delete;

  // Offsets from `from` of the partition are wanted by a reader at `reader`: waiting for them
  // (`waiter`, woken by the job; `reader` is `from`), or as read-ahead (no waiter; `from` is
  // the end of the range cached ahead of `reader`). A job runs `lead` ahead of its furthest
  // reader, not of the read-ahead.
  void want(const std::string& topic, std::int32_t partition, std::int64_t from,
            std::int64_t reader, std::weak_ptr<fetch_waiter> waiter);

  // A reader read up to `offset` of the partition: a job there ahead of it may run up to `lead`
  // beyond it.
  void reading(const std::string& topic, std::int32_t partition, std::int64_t offset);

  fetch_stats stats() const;
  void close();

  struct job;
  struct slot;

 private:
  void dispatch();
  void run(const std::shared_ptr<slot>& s);
  void pull(const std::shared_ptr<slot>& s);
  void on_batch(const std::shared_ptr<slot>& s, const message_batch& batch);
  void on_reset(const std::shared_ptr<slot>& s, std::int64_t at);
  void finish(const std::shared_ptr<slot>& s, const std::vector<message_error>& errors);
  void release_after_wakes(const std::shared_ptr<slot>& s, std::uint64_t hold);
  // Whether the job has nothing left to do (the store or the live reader has its position, or
  // it reached its cap).
  bool done(job& j);
  // The lead of this job: `lead`, or more for readers that read fast (fetch_options::lead_time).
  std::int64_t lead(const job& j) const;
  bool ahead(const job& j) const;     // lead(j) offsets ahead of the furthest reader behind it
  bool had_turn(const job& j) const;  // stored `turn` offsets since it started
  void park(const std::shared_ptr<slot>& s);
  void unpark_if_needed(const std::shared_ptr<slot>& s);
  void arm_idle(const std::shared_ptr<slot>& s);
  // A parked job ends within parked_turn (never later than its idle time would end it).
  void arm_parked_turn(const std::shared_ptr<slot>& s);
  void wait_idle(const std::shared_ptr<slot>& s);

  client_context& ctx_;
  history_store& store_;
  fetch_options options_;
  partition_store::prepare_hook& prepare_;
  live_position live_;
  std::vector<std::shared_ptr<slot>> slots_;
  std::deque<std::shared_ptr<job>> queue_;
  fetch_stats stats_;
  bool closed_ = false;
};

}  // namespace kasocki::kafka
