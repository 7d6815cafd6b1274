// The control of the fail_ probes: with the same machinery, what the table allows compiles.
#include <librdkafka/rdkafka.h>

#include "libkasocki/common/metrics.hpp"
#include "libkasocki/kafka/statistics.hpp"

int probe_kafka_rdkafka() {
  return rd_kafka_version() > 0 ? 0 : 1;
}
