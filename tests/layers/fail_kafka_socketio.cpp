// expect: libkasocki/socketio/packet[.]hpp(: No such file|' file not found)
// The Kafka layer knows nothing of the wire protocol above it.
#include "libkasocki/socketio/packet.hpp"
