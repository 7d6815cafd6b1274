// The SSE layer builds on the gateway and the http layer (the listener's JSON answers).
#include "libkasocki/gateway/gateway.hpp"
#include "libkasocki/http/listener.hpp"
#include "libkasocki/sse/stream_server.hpp"
