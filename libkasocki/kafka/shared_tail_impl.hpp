// Internals of the shared reads, shared by shared_tail.cpp (the store, the live readers, the
// fetchers) and tail_reader.cpp (one client's cursors). Event-loop thread only.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/fetcher_pool.hpp"
#include "libkasocki/kafka/history_store.hpp"
#include "libkasocki/kafka/shared_tail.hpp"

namespace kasocki::kafka {

class tail_reader;

// The live reader of one topic, and where it appends next in each partition's store.
struct topic_tail {
  enum class phase { starting, ready, failed };

  topic_tail(std::string name, const client_context::loop_executor& loop)
      : topic(std::move(name)), linger(loop) {}

  std::string topic;
  phase state = phase::starting;
  std::unique_ptr<message_source> reader;
  std::map<std::int32_t, std::int64_t> live;         // the live reader's position per partition
  std::vector<std::weak_ptr<tail_reader>> attached;  // woken when the tail is ready or fails
  std::vector<std::weak_ptr<tail_reader>> waiters;   // woken by the next append
  std::size_t users = 0;
  boost::asio::steady_timer linger;

  // Where the live reader appends next in `partition`, once it reads it.
  std::optional<std::int64_t> live_position(std::int32_t partition) const {
    if (state != phase::ready) return std::nullopt;
    auto it = live.find(partition);
    if (it == live.end()) return std::nullopt;
    return it->second;
  }
};

class shared_tail::impl : public std::enable_shared_from_this<impl> {
 public:
  impl(client_context& ctx, metadata_cache& metadata, tail_options options);

  // A reader joins (or creates) the tail of `topic`.
  std::shared_ptr<topic_tail> attach(const std::string& topic, std::weak_ptr<tail_reader> reader);
  void detach(const std::shared_ptr<topic_tail>& tail);
  void close();
  std::optional<std::int64_t> live_position(const std::string& topic, std::int32_t partition);

  client_context& ctx_;
  metadata_cache& metadata_;
  tail_options options_;
  prepare_hook prepare_;
  history_store store_;
  fetcher_pool fetchers_;
  std::map<std::string, std::shared_ptr<topic_tail>> tails_;
  tail_stats stats_;  // hits, misses, resets (the rest is asked for)
  bool closed_ = false;
  // Watches the metadata for topics deleted under their readers (while there are tails).
  boost::asio::steady_timer topic_check_;
  bool checking_ = false;
  // Topics read here that a snapshot lacked, with that snapshot's time: missing from a later
  // one too, they were deleted.
  std::map<std::string, std::chrono::steady_clock::time_point> missing_;

 private:
  void start(const std::shared_ptr<topic_tail>& tail);
  void open_reader(const std::shared_ptr<topic_tail>& tail, std::vector<resolved_assignment> from);
  void pull(const std::shared_ptr<topic_tail>& tail);
  void on_batch(const std::shared_ptr<topic_tail>& tail, const message_batch& batch);
  void fail(const std::shared_ptr<topic_tail>& tail, const kafka_error& error);
  void drop(const std::shared_ptr<topic_tail>& tail);
  void watch_topics();
  void check_topics();
};

// Makes one client's source (tail_reader.cpp).
std::unique_ptr<message_source> make_tail_source(std::shared_ptr<shared_tail::impl> hub,
                                                 const std::vector<resolved_assignment>& from);

// Wakes a reader waiting for a tail (tail_reader.cpp).
void wake(const std::weak_ptr<tail_reader>& reader);
// Wakes a reader from the tail's waiters list, which the tail has just dropped (tail_reader.cpp).
void wake_waiter(const std::weak_ptr<tail_reader>& reader, const topic_tail* tail);
// Hands a tail's errors to a reader (tail_reader.cpp).
void report(const std::weak_ptr<tail_reader>& reader, const std::vector<message_error>& errors);
// Tells a reader that `topic` was deleted: it reads nothing more of it (tail_reader.cpp).
void report_deleted(const std::weak_ptr<tail_reader>& reader, const std::string& topic);

}  // namespace kasocki::kafka
