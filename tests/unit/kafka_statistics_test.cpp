// Unit tests of the aggregation of librdkafka statistics documents into the metrics registry.
#include <gtest/gtest.h>

#include "libkasocki/kafka/statistics.hpp"

namespace kasocki::kafka {
namespace {

using metrics::label_list;
using metrics::registry;

std::string stats(std::int64_t ts_us, std::int64_t rxmsgs, std::int64_t app, std::int64_t ls) {
  return R"({"name":"c#1","ts":)" + std::to_string(ts_us) +
         R"(,"topics":{"t":{"partitions":{"0":{"fetch_state":"active","rxmsgs":)" +
         std::to_string(rxmsgs) + R"(,"rxbytes":)" + std::to_string(rxmsgs * 10) +
         R"(,"app_offset":)" + std::to_string(app) + R"(,"ls_offset":)" + std::to_string(ls) +
         R"(,"consumer_lag":-1},"-1":{"fetch_state":"none","rxmsgs":0}}}}})";
}

TEST(KafkaStatistics, CountsIncreasesRatesAndTheWorstLag) {
  registry r;
  statistics k(r);
  ASSERT_TRUE(k.update("c#1", stats(1'000'000, 10, 10, 15)));
  ASSERT_TRUE(k.update("c#2", stats(1'000'000, 4, 4, 15)));
  ASSERT_TRUE(k.update("c#1", stats(3'000'000, 30, 30, 35)));
  EXPECT_FALSE(k.update("c#3", "not json"));
  const label_list labels{{"partition", "0"}, {"role", "consumer"}, {"topic", "t"}};
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_messages_total", labels).value(), 34u);
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_bytes_total", labels).value(), 340u);
  auto text = r.render();
  EXPECT_NE(text.find("kasocki_kafka_consumer_lag{partition=\"0\",topic=\"t\"} 11\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("kasocki_kafka_fetch_rate{partition=\"0\",topic=\"t\"} 10\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(k.consumers(), 2u);
  k.closed("c#2");
  EXPECT_EQ(k.consumers(), 1u);
  EXPECT_NE(r.render().find("kasocki_kafka_consumer_lag{partition=\"0\",topic=\"t\"} 5\n"),
            std::string::npos);
}

// What the history fetchers read is told apart from what the other consumers read: the fetch
// ratios of docs/PERFORMANCE.md count only the former.
TEST(KafkaStatistics, CountsEachRoleApart) {
  registry r;
  statistics k(r);
  ASSERT_TRUE(k.update("c#1", stats(1'000'000, 10, 10, 15)));
  ASSERT_TRUE(k.update("f#1", stats(1'000'000, 7, 7, 15), "fetcher"));
  ASSERT_TRUE(k.update("f#1", stats(2'000'000, 9, 9, 15), "fetcher"));
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_bytes_total",
                      {{"partition", "0"}, {"role", "consumer"}, {"topic", "t"}})
                .value(),
            100u);
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_bytes_total",
                      {{"partition", "0"}, {"role", "fetcher"}, {"topic", "t"}})
                .value(),
            90u);
  // The lag is the worst of every handle, whatever its role.
  EXPECT_NE(r.render().find("kasocki_kafka_consumer_lag{partition=\"0\",topic=\"t\"} 6\n"),
            std::string::npos);
}

// A history fetcher goes from partition to partition: librdkafka's counters of a partition go on
// from where they were when it was unassigned (fetch_state "none"), so a partition assigned
// again counts only what it received since, and what it received before it was unassigned
// counts too.
TEST(KafkaStatistics, CountsAPartitionAssignedAgainOnce) {
  std::int64_t ts = 0;
  auto doc = [&ts](const char* state, std::int64_t rxmsgs) {
    return R"({"ts":)" + std::to_string(++ts) +
           R"(,"topics":{"t":{"partitions":{"0":{"fetch_state":")" + std::string(state) +
           R"(","rxmsgs":)" + std::to_string(rxmsgs) + R"(,"rxbytes":)" +
           std::to_string(rxmsgs * 10) + "}}}}}";
  };
  registry r;
  statistics k(r);
  ASSERT_TRUE(k.update("f#1", doc("active", 100), "fetcher"));
  ASSERT_TRUE(k.update("f#1", doc("none", 150), "fetcher"));  // 50 more before it stopped
  ASSERT_TRUE(k.update("f#1", doc("none", 150), "fetcher"));
  ASSERT_TRUE(k.update("f#1", doc("active", 170), "fetcher"));
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_bytes_total",
                      {{"partition", "0"}, {"role", "fetcher"}, {"topic", "t"}})
                .value(),
            1700u);
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_messages_total",
                      {{"partition", "0"}, {"role", "fetcher"}, {"topic", "t"}})
                .value(),
            170u);
}

// The worker pool may hand a document over after the next one of its handle, or after the
// handle was closed: counted, it would count the handle's whole count again.
TEST(KafkaStatistics, ALateDocumentCountsNothing) {
  registry r;
  statistics k(r);
  const label_list labels{{"partition", "0"}, {"role", "fetcher"}, {"topic", "t"}};
  ASSERT_TRUE(k.update("f#1", stats(1'000'000, 100, 100, 200), "fetcher"));
  ASSERT_TRUE(k.update("f#1", stats(3'000'000, 300, 300, 400), "fetcher"));
  ASSERT_TRUE(k.update("f#1", stats(2'000'000, 200, 200, 400), "fetcher"));  // older
  ASSERT_TRUE(k.update("f#1", stats(4'000'000, 350, 350, 400), "fetcher"));
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_messages_total", labels).value(), 350u);
  k.closed("f#1");
  ASSERT_TRUE(k.update("f#1", stats(5'000'000, 360, 360, 400), "fetcher"));  // after its close
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_messages_total", labels).value(), 350u);
  EXPECT_EQ(k.consumers(), 0u);
  // Another handle still counts.
  ASSERT_TRUE(k.update("f#2", stats(1'000'000, 5, 5, 400), "fetcher"));
  EXPECT_EQ(r.counter("kasocki_kafka_fetched_messages_total", labels).value(), 355u);
}

// Members of another type than librdkafka's (another version, a broken document) are read as
// missing, never thrown on: the parser runs on librdkafka's threads.
TEST(KafkaStatistics, WrongTypesAreMissingNotThrown) {
  struct case_t {
    const char* doc;
    bool accepted;
  } cases[] = {
      {R"({"ts":"x","topics":{"t":{"partitions":{"0":{"fetch_state":1,"rxmsgs":3}}}}})", true},
      {R"({"ts":1e300,"topics":{"t":{"partitions":{"0":{"fetch_state":"active","rxmsgs":"3",)"
       R"("rxbytes":-7,"app_offset":1.5,"ls_offset":18446744073709551615}}}}})",
       true},
      {R"({"topics":[1,2]})", true},
      {R"({"topics":{"t":[]}})", true},
      {R"([])", false},
      {R"({"ts":)", false},
  };
  for (const auto& c : cases) {
    registry r;
    statistics k(r);
    bool accepted = false;
    EXPECT_NO_THROW(accepted = k.update("h", c.doc)) << c.doc;
    EXPECT_EQ(accepted, c.accepted) << c.doc;
    // Nothing counted from a member of the wrong type.
    EXPECT_EQ(r.counter("kasocki_kafka_fetched_bytes_total",
                        {{"partition", "0"}, {"role", "consumer"}, {"topic", "t"}})
                  .value(),
              0u)
        << c.doc;
  }
}

}  // namespace
}  // namespace kasocki::kafka
