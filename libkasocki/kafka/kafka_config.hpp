// Configuration of the Kafka layer: brokers, the `-X key=value` librdkafka properties applied to
// every handle, where out-of-range offsets start, and the layer's own limits. Parsing and
// validation are pure (validation builds, and frees, a librdkafka conf object; no I/O).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libkasocki/kafka/error.hpp"

typedef struct rd_kafka_conf_s rd_kafka_conf_t;

namespace kasocki::kafka {

// Where a requested offset outside the partition's [low, high] watermarks starts.
enum class offset_reset { latest, earliest };

struct kafka_config {
  // bootstrap.servers.
  std::string brokers = "localhost:9092";
  // Extra librdkafka properties (`-X k=v`), applied in order to every handle after the layer's
  // defaults, so they may override them (except the never-write guarantees, applied last).
  std::vector<std::pair<std::string, std::string>> properties;
  // From `-X auto.offset.reset=...`: latest (default) or earliest.
  offset_reset auto_offset_reset = offset_reset::latest;

  // Period of the background metadata refresh.
  std::chrono::milliseconds metadata_refresh_interval{10'000};
  // On-demand refreshes closer than this to the previous fetch answer from the cache, so a
  // burst of clients asking for a missing topic costs the broker one request.
  std::chrono::milliseconds metadata_min_refresh_gap{1'000};
  // Timeout of each blocking query (metadata, watermarks, offsets for times), worker pool only.
  std::chrono::milliseconds query_timeout{5'000};
  // Threads of the worker pool that runs blocking librdkafka calls.
  int worker_threads = 2;

  // Per-consumer prefetch bound (queued.max.messages.kbytes), in KiB: librdkafka's queue is the
  // buffer between Kafka and a client reading history, so this bounds memory per consumer.
  // With fetch.queue.backoff.ms below, 8 MiB replays as fast as 32 MiB did (about 500k msgs/s
  // of 550-byte events, docs/PERFORMANCE.md) and 4 MiB only a little slower.
  std::size_t consumer_queue_kbytes = 8192;
  // fetch.queue.backoff.ms (librdkafka 2.2 and later; not set on older ones): how soon a
  // partition whose queue was full is looked at again. librdkafka's default, one second, idles
  // a client that reads faster than one queue a second: replay gave ~130k msgs/s with a 32 MiB
  // queue, and 500k with 10 ms.
  int fetch_queue_backoff_ms = 10;
  // The history fetchers' read-ahead in librdkafka (queued.max.messages.kbytes,
  // max.partition.fetch.bytes and fetch.queue.backoff.ms of their handles): a fetch job stores
  // only what its readers will soon read, and what librdkafka read beyond that is dropped when
  // the job ends, so it is kept to a fraction of a MiB; the short backoff keeps a small queue
  // from idling a fast replay. Against 8 MiB and 10 ms (before fetches were paced by their
  // readers): history read Kafka 3.5x its topic, not 20x, and replay went 1.8 times faster.
  // 64 KiB rather than 256 (once fetches ran at most 128 offsets ahead of their readers):
  // history read Kafka 1.97x its topic, not 2.2-2.8x, at the same replay rate. Kafka still sends
  // at least the whole record batch that holds a fetch's position.
  std::size_t fetcher_queue_kbytes = 64;
  std::size_t fetcher_partition_fetch_kbytes = 64;
  // queued.min.messages of the fetchers: librdkafka asks for the next record batch only once
  // the job took the last one, not as soon as its queue is below fetcher_queue_kbytes (Kafka
  // sends whole batches, a few hundred KiB each, so a fetch always overshot the 64 KiB): what a
  // job holds unread when its readers stop is then at most the rest of one batch. history_same
  // fetched 1.12-1.16x its range in 8 of 8 runs, not 1.14-1.24x (1.53x once) in 19, with no
  // loss of rate in replay or consume1.
  std::size_t fetcher_queue_min_messages = 1;
  int fetcher_queue_backoff_ms = 1;
  // fetch.wait.max.ms: how long the broker may hold a fetch for fetch.min.bytes (1). 100 ms
  // bounds the latency of a message on an idle partition; under load fetches return full.
  int fetch_wait_max_ms = 100;

  // Receives librdkafka's statistics of every consumer handle: (handle name, its role, JSON
  // document) on the worker pool, and (handle name, role, "") once the handle is destroyed.
  // The role is "fetcher" for the history fetchers, "consumer" for the other consumers (the
  // live readers). Unset: no statistics.
  std::function<void(const std::string& handle, const std::string& role, const std::string& json)>
      statistics;
  // statistics.interval.ms of consumers when `statistics` is set (`-X` may override it).
  std::chrono::milliseconds statistics_interval{5'000};
};

// Splits "key=value" (the `-X` argument). Error when there is no '=' or the key is empty.
result<std::pair<std::string, std::string>> parse_property(std::string_view text);

// Parses an auto.offset.reset value: earliest|smallest|beginning or latest|largest|end.
result<offset_reset> parse_offset_reset(std::string_view value);

// Records a `-X` property in the config: auto.offset.reset also sets auto_offset_reset
// (error on other values than the above). The property is checked against librdkafka by
// validate(), not here.
status add_property(kafka_config& config, std::string_view key, std::string_view value);

// Checks every property against librdkafka; the error names the offending property.
status validate(const kafka_config& config);

// What a librdkafka handle is for; decides the layer's defaults.
enum class handle_role {
  query,     // metadata, watermarks, offsets for times: no group, no fetching
  consumer,  // a reader's consumer: assign only, never subscribe or commit
  fetcher,   // a history fetcher: a consumer that reports out-of-range positions instead of
             // resetting them (the store resets its readers itself, per auto.offset.reset)
};

// A new librdkafka conf for `role`, whose log lines go to the project's structured log (caller
// owns it: rd_kafka_new takes it on success, else
// rd_kafka_conf_destroy). Error names the offending property.
result<rd_kafka_conf_t*> make_conf(const kafka_config& config, handle_role role);

}  // namespace kasocki::kafka
