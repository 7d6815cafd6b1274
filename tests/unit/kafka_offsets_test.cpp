// Unit tests of subscription resolution's pure parts: expanding requests against a metadata
// snapshot, and where each partition starts given its watermarks.
#include <gtest/gtest.h>

#include <vector>

#include "libkasocki/kafka/offset_resolver.hpp"

namespace kk = kasocki::kafka;
using kk::start_position;

namespace {

kk::metadata_snapshot cluster() {
  kk::metadata_snapshot snap;
  snap.healthy = true;
  snap.topics = {{"one", 1}, {"three", 3}};
  return snap;
}

kk::partition_request part(const char* topic, std::int32_t p, start_position s) {
  return {topic, p, s};
}

TEST(KafkaOffsets, ExpandsTopicWideRequestsToEveryPartition) {
  const std::vector<kk::assignment_request> requests = {
      {"three", std::nullopt, start_position::at_timestamp(1000)},
      {"one", 0, start_position::at_offset(5)},
  };
  auto parts = kk::expand_requests(requests, cluster());
  ASSERT_TRUE(parts.has_value()) << parts.error().message;
  const std::vector<kk::partition_request> expected = {
      part("three", 0, start_position::at_timestamp(1000)),
      part("three", 1, start_position::at_timestamp(1000)),
      part("three", 2, start_position::at_timestamp(1000)),
      part("one", 0, start_position::at_offset(5)),
  };
  EXPECT_EQ(parts.value(), expected);
}

TEST(KafkaOffsets, ExpandRejectsWhatCannotBeAssigned) {
  struct row {
    kk::assignment_request request;
    const char* error_name;
    kk::kafka_errc kind;  // what the gateway acts on
  };
  const std::vector<row> rows = {
      {{"missing", std::nullopt, start_position::at_end()},
       "UNKNOWN_TOPIC_OR_PART",
       kk::kafka_errc::unknown_topic_or_partition},
      {{"one", 1, start_position::at_end()},
       "UNKNOWN_TOPIC_OR_PART",
       kk::kafka_errc::unknown_topic_or_partition},
      {{"three", -1, start_position::at_end()}, "_INVALID_ARG", kk::kafka_errc::invalid_argument},
      {{"three", 0, start_position::at_offset(-3)},
       "_INVALID_ARG",
       kk::kafka_errc::invalid_argument},
  };
  for (const auto& r : rows) {
    auto parts = kk::expand_requests(std::vector{r.request}, cluster());
    ASSERT_FALSE(parts.has_value()) << r.request.topic;
    EXPECT_EQ(parts.error().name, r.error_name) << parts.error().message;
    EXPECT_EQ(parts.error().kind(), r.kind) << parts.error().message;
  }
  // The same partition twice, directly or through a topic-wide request.
  const std::vector<kk::assignment_request> twice = {
      {"three", 1, start_position::at_offset(0)},
      {"three", std::nullopt, start_position::at_end()},
  };
  auto parts = kk::expand_requests(twice, cluster());
  ASSERT_FALSE(parts.has_value());
  EXPECT_EQ(parts.error().name, "_INVALID_ARG");
  EXPECT_TRUE(kk::expand_requests(std::vector<kk::assignment_request>{}, cluster()).has_value());
}

TEST(KafkaOffsets, DecideStart) {
  using kk::offset_reset;
  const kk::watermarks marks{10, 20};
  struct row {
    start_position start;
    std::int64_t found;  // ListOffsets answer for a timestamp, -1 when none
    offset_reset policy;
    std::int64_t offset;
    bool reset;
  };
  const row rows[] = {
      {start_position::at_end(), -1, offset_reset::latest, 20, false},
      {start_position::at_end(), -1, offset_reset::earliest, 20, false},
      {start_position::at_offset(10), -1, offset_reset::latest, 10, false},  // low is in range
      {start_position::at_offset(15), -1, offset_reset::latest, 15, false},
      {start_position::at_offset(20), -1, offset_reset::latest, 20, false},  // high is in range
      {start_position::at_offset(21), -1, offset_reset::latest, 20, true},
      {start_position::at_offset(21), -1, offset_reset::earliest, 10, true},
      {start_position::at_offset(3), -1, offset_reset::latest, 20, true},
      {start_position::at_offset(3), -1, offset_reset::earliest, 10, true},
      {start_position::at_timestamp(1000), 12, offset_reset::latest, 12, false},
      {start_position::at_timestamp(1000), -1, offset_reset::earliest, 20, false},  // none after
      {start_position::at_timestamp(0), 10, offset_reset::latest, 10, false},
  };
  for (const auto& r : rows) {
    const auto got = kk::decide_start(part("t", 2, r.start), marks, r.found, r.policy);
    EXPECT_EQ(got, (kk::resolved_assignment{"t", 2, r.offset, r.reset}))
        << "kind " << static_cast<int>(r.start.what) << " value " << r.start.value;
  }
}

TEST(KafkaOffsets, DecideStartOnAnEmptyPartition) {
  const kk::watermarks empty{7, 7};  // everything deleted by retention
  EXPECT_EQ(kk::decide_start(part("t", 0, start_position::at_offset(0)), empty, -1,
                             kk::offset_reset::earliest),
            (kk::resolved_assignment{"t", 0, 7, true}));
  EXPECT_EQ(kk::decide_start(part("t", 0, start_position::at_offset(7)), empty, -1,
                             kk::offset_reset::latest),
            (kk::resolved_assignment{"t", 0, 7, false}));
}

TEST(KafkaOffsets, ErrorKindsComeFromTheCode) {
  EXPECT_EQ(kk::invalid_argument("x").kind(), kk::kafka_errc::invalid_argument);
  EXPECT_EQ(kk::error_from_code(-195 /* _TRANSPORT */).kind(), kk::kafka_errc::unavailable);
  EXPECT_EQ(kk::error_from_code(-187 /* _ALL_BROKERS_DOWN */).kind(), kk::kafka_errc::unavailable);
  EXPECT_EQ(kk::error_from_code(29 /* TOPIC_AUTHORIZATION_FAILED */).kind(), kk::kafka_errc::other);
  // librdkafka's reason (which names brokers) goes to the detail, never to the message.
  auto e = kk::error_from_code(-195, {}, "localhost:9092/1: Connect to ipv4#127.0.0.1:9092 failed");
  EXPECT_EQ(e.message, "Kafka cannot be reached");
  EXPECT_NE(e.detail.find("localhost:9092"), std::string::npos);
  EXPECT_EQ(kk::error_from_code(29, "listing offsets").message,
            "listing offsets: Kafka error TOPIC_AUTHORIZATION_FAILED");
  EXPECT_EQ(kk::describe(kk::kafka_errc::invalid_argument), "invalid argument");
}

}  // namespace
