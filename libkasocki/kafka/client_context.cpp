// Creates and tears down the Kafka layer's worker pool and query handle. The query handle is a
// consumer-type handle without a group: it never fetches, it only answers metadata and ListOffsets
// queries.
#include "libkasocki/kafka/client_context.hpp"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>

namespace kasocki::kafka {

client_context::client_context(loop_executor loop, kafka_config config, int threads)
    : config_(std::move(config)),
      loop_(std::move(loop)),
      pool_(std::max(1, threads)),
      close_pool_(std::max(2, threads)) {}

result<std::unique_ptr<client_context>> client_context::create(loop_executor loop,
                                                               kafka_config config) {
  if (auto s = validate(config); !s) return s.error();
  auto conf = make_conf(config, handle_role::query);
  if (!conf) return conf.error();
  std::array<char, 512> errstr{};
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf.value(), errstr.data(), errstr.size());
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf.value());
    return invalid_argument(std::string("cannot create the Kafka client: ") + errstr.data());
  }
  const int threads = config.worker_threads;
  std::unique_ptr<client_context> ctx(
      new client_context(std::move(loop), std::move(config), threads));
  ctx->query_ = rk;
  return ctx;
}

client_context::~client_context() {
  // Pending work (queries, consumer closes) finishes first; it may still use query_.
  pool_.join();
  close_pool_.join();
  if (query_ != nullptr) rd_kafka_destroy(query_);
}

}  // namespace kasocki::kafka
