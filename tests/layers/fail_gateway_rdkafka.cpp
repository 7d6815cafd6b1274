// expect: libkasocki/gateway may not use librdkafka/rdkafka[.]h
// The gateway uses Kafka through libkasocki/kafka's interfaces, never librdkafka itself.
#include <librdkafka/rdkafka.h>
