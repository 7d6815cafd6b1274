// Connection state recovery (socket.io >= 4.6 clients), as the Socket.IO layer sees it: what the
// application decides for a CONNECT on protocol v5. No I/O.
#pragma once

#include <memory>
#include <string>

namespace kasocki::socketio {

// `pid` goes into the CONNECT answer; `recovered` says it is the pid the client asked for;
// `state` is the application's restored session, handed to its socket.
struct connect_recovery {
  std::string pid;
  bool recovered = false;
  std::shared_ptr<const void> state;
};

}  // namespace kasocki::socketio
