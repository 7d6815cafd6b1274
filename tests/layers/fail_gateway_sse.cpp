// expect: libkasocki/sse/stream_connection[.]hpp(: No such file|' file not found)
// The gateway delivers to a stream through its own stream_output interface; the SSE layer sits
// above it and implements that, never the other way round.
#include "libkasocki/sse/stream_connection.hpp"
