// expect: libkasocki/kafka/message_source[.]hpp(: No such file|' file not found)
// The filter is pure: it sees parsed messages, not where they came from.
#include "libkasocki/kafka/message_source.hpp"
