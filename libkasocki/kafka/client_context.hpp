// The Kafka layer's shared context: the configuration, the event loop's executor, the worker pool
// that runs every blocking librdkafka call, and one librdkafka handle for queries (metadata,
// watermarks, offsets for times). Create one per server on the event-loop thread; it must outlive
// every metadata_cache, message_source and message_batch made from it. Its destructor joins the
// worker pool (waiting for pending consumer closes). Owns threads; does network I/O through
// librdkafka on the worker pool only.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <utility>

#include "libkasocki/kafka/error.hpp"
#include "libkasocki/kafka/kafka_config.hpp"

typedef struct rd_kafka_s rd_kafka_t;

namespace kasocki::kafka {

class client_context {
 public:
  using loop_executor = boost::asio::any_io_executor;
  using pool_executor = boost::asio::thread_pool::executor_type;

  // Validates the config (error names the bad property) and creates the query handle; does not
  // wait for the brokers.
  static result<std::unique_ptr<client_context>> create(loop_executor loop, kafka_config config);
  ~client_context();
  client_context(const client_context&) = delete;
  client_context& operator=(const client_context&) = delete;

  const kafka_config& config() const { return config_; }
  const loop_executor& loop() const { return loop_; }
  pool_executor pool() { return pool_.get_executor(); }
  // Where consumer handles are destroyed: a close can block for many seconds (librdkafka waits
  // on the partitions of a topic deleted meanwhile), and queries must not wait behind it.
  pool_executor close_pool() { return close_pool_.get_executor(); }
  // Thread-safe handle for blocking queries; call it from the worker pool only.
  rd_kafka_t* query_handle() const { return query_; }

  // Runs `work()` on the worker pool, then `done(value)` on the event loop (never inline).
  template <class Work, class Done>
  void run_blocking(Work work, Done done) {
    boost::asio::post(
        pool_, [work = std::move(work), done = std::move(done), loop = loop_]() mutable {
          auto value = work();
          boost::asio::post(loop, [done = std::move(done), value = std::move(value)]() mutable {
            done(std::move(value));
          });
        });
  }

 private:
  client_context(loop_executor loop, kafka_config config, int threads);

  kafka_config config_;
  loop_executor loop_;
  boost::asio::thread_pool pool_;
  boost::asio::thread_pool close_pool_;
  rd_kafka_t* query_ = nullptr;
};

}  // namespace kasocki::kafka
