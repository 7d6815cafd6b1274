// The auth object of a socket.io 2.x client (Engine.IO v3), which sends its auth as query
// parameters of the handshake request instead of in the CONNECT packet. Pure, no I/O.
#pragma once

#include <string_view>

#include "libkasocki/socketio/packet.hpp"

namespace kasocki::socketio {

// The parameters of a request target ("/socket.io/?EIO=3&a=1", none without a '?') or of a query
// ("?a=1&b=2", "a=1&b=2") as a JSON object of strings, percent-decoded, leaving out Engine.IO's
// own (EIO, transport, sid, b64, t) and empty keys ("?&a=1", "?=x"). A later repeat of a key
// wins. A query that is not valid URL syntax gives an empty object.
json query_auth(std::string_view query);

}  // namespace kasocki::socketio
