// The official socket.io-client 4.x against `kasocki serve`: waits for `ready`, subscribes,
// optionally filters, then either starts (messages pushed as `message` events) or consumes.
// Usage: node gateway_client.js URL websocket|polling|upgrade SPEC_JSON COUNT start|consume [FILTERS_JSON]
// "polling" never upgrades; "upgrade" starts on polling and upgrades. Prints one JSON line per
// thing seen: {"ready":[...]}, {"subscribe":[error,result]}, {"filter":[...]}, {"start":[...]},
// {"message":{...}}, {"err":{...}}, finally {"transport":"..."}; exits 1 with {"error"} on failure.
// Does I/O: network connections to URL, stdout.
"use strict";
const { io } = require("socket.io-client");
const { once, withDeadline, emitWithAckArgs, exitAfterOutput } = require("./interop_common");

const [url, mode, specText, countText, how, filtersText] = process.argv.slice(2);
const transports = { websocket: ["websocket"], polling: ["polling"], upgrade: ["polling", "websocket"] }[mode];
const DEADLINE_MS = 20000;

function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

async function main() {
  const count = Number(countText);
  const socket = io(url, { transports, upgrade: mode === "upgrade", reconnection: false, timeout: 5000 });
  const messages = [];
  let enough;
  const gotEnough = new Promise((resolve) => { enough = resolve; });
  socket.on("message", (message) => {
    print({ message });
    messages.push(message);
    if (messages.length >= count) enough();
  });
  socket.on("err", (error) => print({ err: error }));
  const ready = once(socket, "ready");
  await withDeadline(once(socket, "connect"), "connect", DEADLINE_MS);
  print({ ready: (await withDeadline(ready, "ready", DEADLINE_MS))[0] });
  const subscribed = await emitWithAckArgs(socket, "subscribe", JSON.parse(specText));
  print({ subscribe: subscribed });
  if (subscribed[0] !== null) throw new Error("subscribe failed");
  if (filtersText) print({ filter: await emitWithAckArgs(socket, "filter", JSON.parse(filtersText)) });
  if (how === "start") {
    print({ start: await emitWithAckArgs(socket, "start") });
    await withDeadline(gotEnough, `${count} messages`, DEADLINE_MS);
  } else {
    for (let i = 0; i < count; i++) {
      const [error, message] = await emitWithAckArgs(socket, "consume");
      if (error !== null) throw new Error(JSON.stringify(error));
      print({ message });
    }
  }
  if (mode === "upgrade" && socket.io.engine.transport.name !== "websocket") {
    await withDeadline(once(socket.io.engine, "upgrade"), "upgrade", DEADLINE_MS);
  }
  print({ transport: socket.io.engine.transport.name });
  socket.disconnect();
}

main().then(
  () => exitAfterOutput(0),
  (error) => {
    print({ error: String(error && error.message ? error.message : error) });
    exitAfterOutput(1);
  },
);
