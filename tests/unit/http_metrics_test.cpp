// Unit tests of the metrics registry (text format, labels, escaping, scrape-time families) and
// of the aggregation of librdkafka statistics.
#include <gtest/gtest.h>

#include "libkasocki/http/metrics.hpp"

namespace kasocki::metrics {
namespace {

TEST(MetricsRegistry, RendersFamiliesSortedWithHelpTypeAndSortedLabels) {
  registry r;
  r.counter("kasocki_limit_rejections_total", {{"limit", "max_connections"}}).inc(3);
  r.gauge("b_gauge", {{"z", "1"}, {"a", "2"}}, "a gauge").set(-4);
  r.declare("c_empty_total", metric_type::counter, "nothing yet");
  EXPECT_EQ(r.render(),
            "# HELP b_gauge a gauge\n"
            "# TYPE b_gauge gauge\n"
            "b_gauge{a=\"2\",z=\"1\"} -4\n"
            "# HELP c_empty_total nothing yet\n"
            "# TYPE c_empty_total counter\n"
            "# HELP kasocki_limit_rejections_total Requests or connections refused by a limit, by "
            "limit\n"
            "# TYPE kasocki_limit_rejections_total counter\n"
            "kasocki_limit_rejections_total{limit=\"max_connections\"} 3\n");
}

TEST(MetricsRegistry, SameNameAndLabelsIsTheSameCounterInAnyLabelOrder) {
  registry r;
  auto& a = r.counter("x_total", {{"a", "1"}, {"b", "2"}});
  auto& b = r.counter("x_total", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(&a, &b);
  a.inc();
  b.inc(2);
  EXPECT_EQ(a.value(), 3u);
}

TEST(MetricsRegistry, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(MetricsRegistry, CollectorsRunAtRenderAndCanBeRemoved) {
  registry r;
  int calls = 0;
  r.collect("y", metric_type::gauge, [&] {
    ++calls;
    return std::vector<sample>{{{{"t", "ws"}}, 1.5}};
  });
  EXPECT_NE(r.render().find("y{t=\"ws\"} 1.5\n"), std::string::npos);
  EXPECT_EQ(calls, 1);
  r.collect("y", metric_type::gauge, nullptr);
  EXPECT_EQ(r.render().find("y{"), std::string::npos);
}

std::string stats(std::int64_t ts_us, std::int64_t rxmsgs, std::int64_t app, std::int64_t ls) {
  return R"({"name":"c#1","ts":)" + std::to_string(ts_us) +
         R"(,"topics":{"t":{"partitions":{"0":{"fetch_state":"active","rxmsgs":)" +
         std::to_string(rxmsgs) + R"(,"rxbytes":)" + std::to_string(rxmsgs * 10) +
         R"(,"app_offset":)" + std::to_string(app) + R"(,"ls_offset":)" + std::to_string(ls) +
         R"(,"consumer_lag":-1},"-1":{"fetch_state":"none","rxmsgs":0}}}}})";
}

TEST(KafkaStatistics, CountsIncreasesRatesAndTheWorstLag) {
  registry r;
  kafka_statistics k(r);
  ASSERT_TRUE(k.update("c#1", stats(1'000'000, 10, 10, 15)));
  ASSERT_TRUE(k.update("c#2", stats(1'000'000, 4, 4, 15)));
  ASSERT_TRUE(k.update("c#1", stats(3'000'000, 30, 30, 35)));
  EXPECT_FALSE(k.update("c#3", "not json"));
  const label_list labels{{"partition", "0"}, {"topic", "t"}};
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

}  // namespace
}  // namespace kasocki::metrics
