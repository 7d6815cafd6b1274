// The official socket.io-client 4.x with a token (kasocki-api.md, "Authentication"): connects
// with the options given, prints what the server answers, runs the steps (events with acks) after
// `ready`, and stops at the event named by `until`.
// Usage: node auth_client.js URL OPTIONS_JSON, OPTIONS = {transports, auth, extraHeaders, query,
//   steps: [[event, ...args]], until: "ready"|"disconnect"|"connect_error"|<event name>}.
// Prints one JSON line per thing seen: {"connect_error": {message, data}}, {"ready": [...]},
// {"ack": event, "args": [...]}, {"event": name, "args": [...]}, {"disconnect": reason}; exits 1
// with {"error"} when `until` does not come within the deadline. Does I/O: network, stdout.
"use strict";
const { io } = require("socket.io-client");
const { once, withDeadline, emitWithAckArgs, exitAfterOutput } = require("./interop_common");

const [url, optionsText] = process.argv.slice(2);
const options = JSON.parse(optionsText);
const DEADLINE_MS = 30000;

function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

async function main() {
  const socket = io(url, {
    transports: options.transports || ["websocket"],
    upgrade: false,
    reconnection: false,
    timeout: 10000,
    auth: options.auth,
    extraHeaders: options.extraHeaders,
    query: options.query,
  });
  const until = options.until || "ready";
  const reached = once(socket, until);
  socket.on("connect_error", (error) => print({ connect_error: { message: error.message, data: error.data } }));
  socket.on("disconnect", (reason) => print({ disconnect: reason }));
  socket.onAny((event, ...args) => print({ event, args }));
  const ready = once(socket, "ready");
  const connected = once(socket, "connect");
  const first = await withDeadline(Promise.race([connected.then(() => "connect"),
    once(socket, "connect_error").then(() => "connect_error")]), "connect", DEADLINE_MS);
  if (first === "connect") {
    print({ ready: (await withDeadline(ready, "ready", DEADLINE_MS))[0] });
    for (const [event, ...args] of options.steps || []) {
      print({ ack: event, args: await emitWithAckArgs(socket, event, ...args) });
    }
  }
  if (until !== "ready" && !(until === "connect_error" && first === "connect_error")) {
    await withDeadline(reached, until, DEADLINE_MS);
  }
  socket.close();
}

main().then(() => exitAfterOutput(0), (error) => {
  print({ error: String(error && error.message || error) });
  exitAfterOutput(1);
});
