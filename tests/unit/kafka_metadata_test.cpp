// Unit tests of the metadata snapshot built from a librdkafka metadata answer (no broker).
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>

#include "libkasocki/kafka/metadata_cache.hpp"

namespace kk = kasocki::kafka;

namespace {

TEST(KafkaMetadata, SnapshotSkipsInternalAndPartitionlessTopics) {
  std::array<rd_kafka_metadata_partition_t, 3> partitions{};
  std::array<rd_kafka_metadata_topic_t, 5> topics{};
  topics[0] = {const_cast<char*>("zeta"), 3, partitions.data(), RD_KAFKA_RESP_ERR_NO_ERROR};
  topics[1] = {const_cast<char*>("__consumer_offsets"), 3, partitions.data(),
               RD_KAFKA_RESP_ERR_NO_ERROR};
  topics[2] = {const_cast<char*>("being_created"), 0, nullptr,
               RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE};
  topics[3] = {const_cast<char*>("alpha"), 1, partitions.data(), RD_KAFKA_RESP_ERR_NO_ERROR};
  topics[4] = {const_cast<char*>("_single_underscore"), 2, partitions.data(),
               RD_KAFKA_RESP_ERR_NO_ERROR};
  rd_kafka_metadata_t md{};
  md.topic_cnt = static_cast<int>(topics.size());
  md.topics = topics.data();

  const kk::metadata_snapshot snap = kk::snapshot_from(md);
  EXPECT_TRUE(snap.healthy);
  EXPECT_FALSE(snap.last_error);
  EXPECT_EQ(snap.topic_names(), (std::vector<std::string>{"_single_underscore", "alpha", "zeta"}));
  EXPECT_EQ(snap.partition_count("zeta"), 3);
  EXPECT_EQ(snap.partition_count("alpha"), 1);
  EXPECT_EQ(snap.partition_count("__consumer_offsets"), std::nullopt);
  EXPECT_EQ(snap.partition_count("being_created"), std::nullopt);
  EXPECT_EQ(snap.partition_count("missing"), std::nullopt);
}

}  // namespace
