// Unit tests of the Kafka layer's configuration: -X parsing, auto.offset.reset, validation
// against librdkafka and the properties each handle role ends up with.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <array>
#include <string>

#include "libkasocki/kafka/kafka_config.hpp"

namespace kk = kasocki::kafka;

namespace {

// The value librdkafka holds for `key` in a conf made for `role`, or "<unset>".
std::string conf_value(const kk::kafka_config& config, kk::handle_role role,
                       const std::string& key) {
  auto conf = kk::make_conf(config, role);
  EXPECT_TRUE(conf.has_value()) << conf.error().message;
  if (!conf) return "<error>";
  std::array<char, 256> buf{};
  std::size_t size = buf.size();
  const bool found =
      rd_kafka_conf_get(conf.value(), key.c_str(), buf.data(), &size) == RD_KAFKA_CONF_OK;
  rd_kafka_conf_destroy(conf.value());
  return found ? std::string(buf.data()) : "<unset>";
}

TEST(KafkaConfig, ParsePropertySplitsAtFirstEquals) {
  struct row {
    const char* text;
    bool ok;
    const char* key;
    const char* value;
  };
  const row rows[] = {
      {"a=b", true, "a", "b"},
      {"sasl.jaas=x=y", true, "sasl.jaas", "x=y"},
      {"client.id=", true, "client.id", ""},
      {"=b", false, "", ""},
      {"novalue", false, "", ""},
      {"", false, "", ""},
  };
  for (const auto& r : rows) {
    auto p = kk::parse_property(r.text);
    ASSERT_EQ(p.has_value(), r.ok) << r.text;
    if (!r.ok) {
      EXPECT_EQ(p.error().name, "_INVALID_ARG");
      continue;
    }
    EXPECT_EQ(p.value().first, r.key);
    EXPECT_EQ(p.value().second, r.value);
  }
}

TEST(KafkaConfig, OffsetResetAcceptsLibrdkafkaSynonyms) {
  for (const char* v : {"earliest", "smallest", "beginning"}) {
    auto r = kk::parse_offset_reset(v);
    ASSERT_TRUE(r.has_value()) << v;
    EXPECT_EQ(r.value(), kk::offset_reset::earliest) << v;
  }
  for (const char* v : {"latest", "largest", "end"}) {
    auto r = kk::parse_offset_reset(v);
    ASSERT_TRUE(r.has_value()) << v;
    EXPECT_EQ(r.value(), kk::offset_reset::latest) << v;
  }
  for (const char* v : {"error", "Earliest", "", "none"}) {
    auto r = kk::parse_offset_reset(v);
    ASSERT_FALSE(r.has_value()) << v;
    EXPECT_NE(r.error().message.find("auto.offset.reset"), std::string::npos);
  }
}

TEST(KafkaConfig, AddPropertyTracksAutoOffsetReset) {
  kk::kafka_config config;
  EXPECT_EQ(config.auto_offset_reset, kk::offset_reset::latest);
  ASSERT_TRUE(kk::add_property(config, "auto.offset.reset", "earliest").has_value());
  EXPECT_EQ(config.auto_offset_reset, kk::offset_reset::earliest);
  EXPECT_FALSE(kk::add_property(config, "auto.offset.reset", "sideways").has_value());
  EXPECT_EQ(config.auto_offset_reset, kk::offset_reset::earliest);  // unchanged by a bad value
  ASSERT_EQ(config.properties.size(), 1u);
  EXPECT_EQ(config.properties[0].second, "earliest");
  EXPECT_FALSE(kk::add_property(config, "", "x").has_value());
}

TEST(KafkaConfig, ValidateNamesTheBadProperty) {
  kk::kafka_config good;
  ASSERT_TRUE(kk::add_property(good, "socket.timeout.ms", "12000").has_value());
  ASSERT_TRUE(kk::add_property(good, "auto.offset.reset", "earliest").has_value());
  EXPECT_TRUE(kk::validate(good).has_value());

  kk::kafka_config unknown;
  ASSERT_TRUE(kk::add_property(unknown, "no.such.property", "1").has_value());
  auto s = kk::validate(unknown);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().name, "_INVALID_ARG");
  EXPECT_NE(s.error().message.find("no.such.property"), std::string::npos) << s.error().message;

  kk::kafka_config bad_value;
  ASSERT_TRUE(kk::add_property(bad_value, "fetch.wait.max.ms", "soon").has_value());
  s = kk::validate(bad_value);
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("fetch.wait.max.ms"), std::string::npos) << s.error().message;
}

TEST(KafkaConfig, ConsumerDefaultsAndNeverWriteGuarantees) {
  kk::kafka_config config;
  config.brokers = "k1:9092,k2:9092";
  const auto consumer = kk::handle_role::consumer;
  EXPECT_EQ(conf_value(config, consumer, "bootstrap.servers"), "k1:9092,k2:9092");
  EXPECT_EQ(conf_value(config, consumer, "queued.max.messages.kbytes"),
            std::to_string(config.consumer_queue_kbytes));
  EXPECT_EQ(conf_value(config, consumer, "fetch.wait.max.ms"), "100");
  EXPECT_EQ(conf_value(config, consumer, "fetch.min.bytes"), "1");
  // The build's librdkafka (scripts/setup.sh) has it; an older one would refuse the property.
  if (rd_kafka_version() >= 0x020200ff) {
    EXPECT_EQ(conf_value(config, consumer, "fetch.queue.backoff.ms"), "10");
  }
  EXPECT_NE(conf_value(config, consumer, "group.id"), "<unset>");
  EXPECT_EQ(conf_value(config, consumer, "enable.auto.commit"), "false");
  EXPECT_EQ(conf_value(config, consumer, "enable.auto.offset.store"), "false");
  // The query handle never joins anything: no group.
  EXPECT_EQ(conf_value(config, kk::handle_role::query, "group.id"), "<unset>");

  // -X overrides the layer's defaults, but never the no-commit guarantees.
  ASSERT_TRUE(kk::add_property(config, "queued.max.messages.kbytes", "1024").has_value());
  ASSERT_TRUE(kk::add_property(config, "enable.auto.commit", "true").has_value());
  ASSERT_TRUE(kk::add_property(config, "bootstrap.servers", "other:9092").has_value());
  EXPECT_EQ(conf_value(config, consumer, "queued.max.messages.kbytes"), "1024");
  EXPECT_EQ(conf_value(config, consumer, "enable.auto.commit"), "false");
  EXPECT_EQ(conf_value(config, consumer, "bootstrap.servers"), "other:9092");
}

TEST(KafkaConfig, HistoryFetchersReadAheadLittle) {
  kk::kafka_config config;
  config.brokers = "k1:9092";
  const auto fetcher = kk::handle_role::fetcher;
  EXPECT_EQ(conf_value(config, fetcher, "queued.max.messages.kbytes"),
            std::to_string(config.fetcher_queue_kbytes));
  EXPECT_EQ(conf_value(config, fetcher, "max.partition.fetch.bytes"),
            std::to_string(config.fetcher_partition_fetch_kbytes * 1024));
  if (rd_kafka_version() >= 0x020200ff) {
    EXPECT_EQ(conf_value(config, fetcher, "fetch.queue.backoff.ms"),
              std::to_string(config.fetcher_queue_backoff_ms));
  }
  EXPECT_EQ(conf_value(config, fetcher, "auto.offset.reset"), "error");
  // The next batch only once the last one was taken; a live reader keeps librdkafka's prefetch.
  EXPECT_EQ(conf_value(config, fetcher, "queued.min.messages"), "1");
  EXPECT_EQ(conf_value(config, kk::handle_role::consumer, "queued.min.messages"), "100000");
  // A client's own consumer keeps librdkafka's fetch size.
  EXPECT_EQ(conf_value(config, kk::handle_role::consumer, "max.partition.fetch.bytes"), "1048576");
  // -X sets the fetchers' as well.
  ASSERT_TRUE(kk::add_property(config, "max.partition.fetch.bytes", "32768").has_value());
  EXPECT_EQ(conf_value(config, fetcher, "max.partition.fetch.bytes"), "32768");
}

}  // namespace
