// Many short sessions of the official socket.io-client 4.x against `kasocki serve`, at most
// CONCURRENCY at a time: each connects, waits for `ready`, subscribes to kasocki_test_one at an
// offset, consumes COUNT messages and disconnects. Used to show that every session is answered.
// Usage: node many_sessions.js URL websocket|polling|upgrade SESSIONS CONCURRENCY COUNT [CA_FILE]
// CA_FILE: the certificate that signs an https URL's server certificate (verification stays on).
// Prints one JSON line per session: {"session":i,"offsets":[...],"values":[...],"transport":"..."}
// or {"session":i,"error":"..."}; exits 0 once every session has ended, whatever its outcome.
// Does I/O: network connections to URL, reads CA_FILE, stdout.
"use strict";
const fs = require("fs");
const { io } = require("socket.io-client");
const { once, withDeadline, emitWithAckArgs, exitAfterOutput } = require("./interop_common");

const [url, mode, sessionsText, concurrencyText, countText, caFile] = process.argv.slice(2);
const transports = { websocket: ["websocket"], polling: ["polling"], upgrade: ["polling", "websocket"] }[mode];
const ca = caFile ? fs.readFileSync(caFile) : undefined;
const DEADLINE_MS = 20000;
const TOPIC = "kasocki_test_one";

function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

async function session(index) {
  const count = Number(countText);
  const offset = index % 5;
  const socket = io(url, {
    transports, upgrade: mode === "upgrade", reconnection: false, timeout: DEADLINE_MS,
    forceNew: true, ca,
  });
  try {
    const ready = once(socket, "ready");
    const failed = once(socket, "connect_error").then(([e]) => { throw e; });
    await withDeadline(Promise.race([once(socket, "connect"), failed]), "connect", DEADLINE_MS);
    await withDeadline(ready, "ready", DEADLINE_MS);
    const [subscribeError] = await emitWithAckArgs(socket, "subscribe",
      [{ topic: TOPIC, partition: 0, offset }]);
    if (subscribeError !== null) throw new Error(`subscribe: ${JSON.stringify(subscribeError)}`);
    const offsets = [];
    const values = [];
    for (let i = 0; i < count; i++) {
      const [error, message] = await emitWithAckArgs(socket, "consume");
      if (error !== null) throw new Error(`consume: ${JSON.stringify(error)}`);
      const { _kafka: meta, ...value } = message;
      offsets.push(meta.offset);
      values.push(value);
    }
    if (mode === "upgrade" && socket.io.engine.transport.name !== "websocket") {
      await withDeadline(once(socket.io.engine, "upgrade"), "upgrade", DEADLINE_MS);
    }
    print({ session: index, first: offset, offsets, values, transport: socket.io.engine.transport.name });
  } catch (error) {
    print({ session: index, error: String(error && error.message ? error.message : error) });
  } finally {
    socket.disconnect();
  }
}

async function main() {
  const sessions = Number(sessionsText);
  let next = 0;
  // CONCURRENCY workers each take the next session index until none is left.
  const worker = async () => {
    while (next < sessions) await session(next++);
  };
  await Promise.all(Array.from({ length: Number(concurrencyText) }, worker));
}

main().then(() => exitAfterOutput(0), (error) => {
  print({ error: String(error) });
  exitAfterOutput(1);
});
