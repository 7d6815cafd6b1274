// Tests of the Kafka layer's I/O paths (metadata cache, offset resolution, consumer source)
// against librdkafka's in-process mock cluster: no external broker, real sockets on loopback.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

// librdkafka's producev() macros type-check their arguments in GNU statement expressions, which
// clang's -Wpedantic reports here, where they are expanded.
#if defined(__clang__)
#pragma clang diagnostic ignored "-Wgnu-statement-expression"
#endif

#include <boost/asio/io_context.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <string>

#include "libkasocki/kafka/client_context.hpp"
#include "libkasocki/kafka/consumer_source.hpp"
#include "libkasocki/kafka/metadata_cache.hpp"
#include "libkasocki/kafka/offset_resolver.hpp"

namespace kk = kasocki::kafka;
using namespace std::chrono_literals;

namespace {

// A mock cluster owned by a producer handle that writes the test data.
class mock_cluster {
 public:
  mock_cluster() {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    std::array<char, 256> err{};
    rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err.data(), err.size());
    rd_kafka_conf_set(conf, "linger.ms", "0", err.data(), err.size());
    producer_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err.data(), err.size());
    cluster_ = rd_kafka_handle_mock_cluster(producer_);
  }
  ~mock_cluster() { rd_kafka_destroy(producer_); }

  std::string bootstraps() const { return rd_kafka_mock_cluster_bootstraps(cluster_); }
  void create_topic(const char* topic, int partitions) {
    ASSERT_EQ(rd_kafka_mock_topic_create(cluster_, topic, partitions, 1),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }
  void produce(const char* topic, int partition, const std::string& key, const std::string& value) {
    ASSERT_EQ(rd_kafka_producev(producer_, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                RD_KAFKA_V_KEY(key.data(), key.size()),
                                RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
              RD_KAFKA_RESP_ERR_NO_ERROR);
    ASSERT_EQ(rd_kafka_flush(producer_, 10'000), RD_KAFKA_RESP_ERR_NO_ERROR);
  }

 private:
  rd_kafka_t* producer_ = nullptr;
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
};

// Runs the event loop until `done()` holds; false when it did not within the timeout.
bool run_until(boost::asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_one_for(50ms);
  }
  return true;
}

class KafkaSource : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.create_topic("events", 2);
    for (int i = 0; i < 6; ++i) {
      cluster_.produce("events", i % 2, "k" + std::to_string(i),
                       "{\"i\":" + std::to_string(i) + "}");
    }
    kk::kafka_config config;
    config.brokers = cluster_.bootstraps();
    auto ctx = kk::client_context::create(io_.get_executor(), config);
    ASSERT_TRUE(ctx.has_value()) << ctx.error().message;
    ctx_ = std::move(ctx).value();
  }

  std::vector<kk::resolved_assignment> resolve(std::vector<kk::assignment_request> requests) {
    kk::metadata_cache cache(*ctx_);
    cache.start();
    kk::snapshot_ptr snap;
    cache.when_ready([&](kk::snapshot_ptr s) { snap = std::move(s); });
    EXPECT_TRUE(run_until(io_, [&] { return snap != nullptr; }));
    EXPECT_TRUE(snap && snap->healthy);
    std::optional<kk::result<std::vector<kk::resolved_assignment>>> resolved;
    kk::resolve_assignments(*ctx_, *snap, std::move(requests), [&](auto r) { resolved = r; });
    EXPECT_TRUE(run_until(io_, [&] { return resolved.has_value(); }));
    EXPECT_TRUE(resolved->has_value()) << resolved->error().message;
    return resolved->has_value() ? resolved->value() : std::vector<kk::resolved_assignment>{};
  }

  std::unique_ptr<kk::message_source> open(std::vector<kk::resolved_assignment> assignments) {
    std::optional<kk::result<std::unique_ptr<kk::message_source>>> opened;
    kk::open_consumer_source(*ctx_, std::move(assignments),
                             [&](auto r) { opened.emplace(std::move(r)); });
    EXPECT_TRUE(run_until(io_, [&] { return opened.has_value(); }));
    EXPECT_TRUE(opened->has_value()) << opened->error().message;
    return opened->has_value() ? std::move(*opened).value() : nullptr;
  }

  mock_cluster cluster_;
  boost::asio::io_context io_;
  std::unique_ptr<kk::client_context> ctx_;
};

TEST_F(KafkaSource, MetadataListsTopicsAndResolvesTheEnd) {
  const auto assignments = resolve({{"events", std::nullopt, kk::start_position::at_end()}});
  EXPECT_EQ(assignments, (std::vector<kk::resolved_assignment>{{"events", 0, 3, false},
                                                               {"events", 1, 3, false}}));
  const auto reset = resolve({{"events", 1, kk::start_position::at_offset(50)}});
  EXPECT_EQ(reset, (std::vector<kk::resolved_assignment>{{"events", 1, 3, true}}));
}

TEST_F(KafkaSource, DeliversBatchesInOrderAndWakesUpForNewMessages) {
  auto source = open({{"events", 0, 1, false}, {"events", 1, 0, false}});
  ASSERT_TRUE(source);
  std::vector<std::tuple<int, long, std::string, std::string>>
      seen;                             // partition, offset, key, value
  std::vector<kk::message_batch> kept;  // batches stay valid while held
  std::function<void(kk::message_batch)> on_batch = [&](kk::message_batch b) {
    EXPECT_FALSE(b.empty());
    EXPECT_LE(b.messages().size(), 2u);
    for (const auto& m : b.messages()) {
      EXPECT_EQ(m.topic, "events");
      EXPECT_TRUE(m.timestamp.has_value());
      seen.emplace_back(m.partition, m.offset, std::string(m.key.value_or("-")),
                        std::string(m.value));
    }
    kept.push_back(std::move(b));
    if (seen.size() < 6) source->want_messages(2, on_batch);
  };
  source->want_messages(2, on_batch);
  ASSERT_TRUE(run_until(io_, [&] { return seen.size() >= 5; }));
  // Nothing more is queued: the source now waits on its wake-up pipe for the next message.
  cluster_.produce("events", 0, "late", "{\"late\":true}");
  ASSERT_TRUE(run_until(io_, [&] { return seen.size() >= 6; }));

  std::vector<std::tuple<int, long, std::string, std::string>> p0, p1;
  for (const auto& s : seen) (std::get<0>(s) == 0 ? p0 : p1).push_back(s);
  using row = std::tuple<int, long, std::string, std::string>;
  EXPECT_EQ(p0, (std::vector<row>{{0, 1, "k2", "{\"i\":2}"},
                                  {0, 2, "k4", "{\"i\":4}"},
                                  {0, 3, "late", "{\"late\":true}"}}));
  EXPECT_EQ(p1,
            (std::vector<row>{
                {1, 0, "k1", "{\"i\":1}"}, {1, 1, "k3", "{\"i\":3}"}, {1, 2, "k5", "{\"i\":5}"}}));
  EXPECT_EQ(source->positions(),
            (std::vector<kk::partition_position>{{"events", 0, 4}, {"events", 1, 3}}));

  // Closing with batches in flight: their bytes stay valid until they are released.
  source->close();
  source.reset();
  std::size_t bytes = 0;
  for (const auto& b : kept) {
    for (const auto& m : b.messages()) bytes += m.value.size() + m.topic.size();
  }
  EXPECT_GT(bytes, 0u);
  kept.clear();  // the consumer is destroyed on the worker pool now
  ctx_.reset();  // joins the pool: must not hang
}

TEST_F(KafkaSource, ClosingDropsAPendingRequest) {
  auto source = open({{"events", 0, 3, false}});  // at the end: nothing to deliver
  ASSERT_TRUE(source);
  bool called = false;
  source->want_messages(10, [&](kk::message_batch) { called = true; });
  io_.restart();
  io_.run_for(200ms);  // long enough for a fetch round on the mock cluster
  EXPECT_FALSE(called);
  source->close();
  cluster_.produce("events", 0, "x", "{}");
  io_.restart();
  io_.run_for(300ms);
  EXPECT_FALSE(called);  // never called after close, even though a message arrived
  source.reset();
  ctx_.reset();
}

}  // namespace

namespace {
// Reads until `count` messages came (or the timeout); returns their (partition, offset).
std::vector<std::pair<int, std::int64_t>> read_messages(boost::asio::io_context& io,
                                                        kk::message_source& source,
                                                        std::size_t count) {
  std::vector<std::pair<int, std::int64_t>> got;
  bool waiting = false;
  run_until(io, [&] {
    if (!waiting && got.size() < count) {
      waiting = true;
      source.want_messages(100, [&](kk::message_batch b) {
        for (const auto& m : b.messages()) got.emplace_back(m.partition, m.offset);
        waiting = false;
      });
    }
    return got.size() >= count && !waiting;
  });
  return got;
}
}  // namespace

TEST_F(KafkaSource, AFetchConsumerIsReassignedPerJob) {
  std::optional<kk::result<std::unique_ptr<kk::fetch_consumer>>> opened;
  kk::open_fetch_consumer(*ctx_, [&](auto r) { opened.emplace(std::move(r)); });
  ASSERT_TRUE(run_until(io_, [&] { return opened.has_value(); }));
  ASSERT_TRUE(opened->has_value()) << opened->error().message;
  auto fetcher = std::move(*opened).value();
  auto reassign = [&](kk::resolved_assignment a) {
    std::optional<kk::status> done;
    fetcher->reassign({a}, [&](kk::status s) { done = s; });
    EXPECT_TRUE(run_until(io_, [&] { return done.has_value(); }));
    EXPECT_TRUE(done && done->has_value());
  };
  reassign({"events", 0, 1, false});
  EXPECT_EQ(read_messages(io_, *fetcher, 2),
            (std::vector<std::pair<int, std::int64_t>>{{0, 1}, {0, 2}}));
  // The next job: another partition and position; nothing of the previous one comes after.
  reassign({"events", 1, 2, false});
  EXPECT_EQ(read_messages(io_, *fetcher, 1), (std::vector<std::pair<int, std::int64_t>>{{1, 2}}));
  // Back to the first partition, behind where it was read.
  reassign({"events", 0, 0, false});
  EXPECT_EQ(read_messages(io_, *fetcher, 3),
            (std::vector<std::pair<int, std::int64_t>>{{0, 0}, {0, 1}, {0, 2}}));
  fetcher->close();
}
