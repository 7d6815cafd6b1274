// The settings of the Engine.IO server, with their defaults (those of the reference server).
// No I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kasocki::engineio {

struct server_options {
  std::chrono::milliseconds ping_interval{25000};    // server pings this often (v4)
  std::chrono::milliseconds ping_timeout{20000};     // pong (v4) / next ping (v3) must come within
  std::chrono::milliseconds upgrade_timeout{10000};  // probe..upgrade must finish within
  std::size_t max_payload = 1'000'000;               // bytes per POST body / websocket message
  bool allow_eio3 = true;                            // serve socket.io 2.x clients (EIO=3)
  // Packets in one polling answer (0: all that are queued). python-engineio's client (under
  // python-socketio) refuses a payload of more than 16 and drops the session, so 16; the rest
  // waits for the next GET, which every client sends at once.
  std::size_t polling_max_packets = 16;
  // CORS: empty = no CORS headers; "*" = any origin; else the exact origins allowed.
  std::vector<std::string> cors_origins;
  // Bytes a session may hold queued for its client and not yet written (every packet counts)
  // before the application is told to hold off and the transports stop reading the client
  // (see session::writable()). 1 MiB.
  std::size_t send_queue_limit = 1 << 20;
  // Bytes queued at which the application is told to hold off (session::feedable(),
  // when_writable()) while the transports still read the client up to send_queue_limit: the
  // gateway's messages wait in its store, which shares them between clients, not in a queue per
  // client. 0 or more than send_queue_limit: send_queue_limit.
  std::size_t feed_limit = 0;
  // Told the name of a limit a client exceeded on a websocket ("max-payload"), for metrics.
  std::function<void(std::string_view limit)> on_limit_rejection;
};

}  // namespace kasocki::engineio
