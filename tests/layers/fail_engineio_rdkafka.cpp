// expect: libkasocki/engineio may not use librdkafka/rdkafka[.]h
// Only libkasocki/kafka talks to librdkafka: the transport layer may not even see its header,
// including the copy Debian's librdkafka-dev puts in /usr/include.
#include <librdkafka/rdkafka.h>
