// Unit tests of the metrics registry (text format, labels, escaping, scrape-time families).
#include <gtest/gtest.h>

#include "libkasocki/common/metrics.hpp"

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

}  // namespace
}  // namespace kasocki::metrics
