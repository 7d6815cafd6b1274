// A socket.io 2.x client (Engine.IO v3) against `kasocki serve`: waits for `ready`, subscribes to
// TOPIC from offset 0 of partition 0, starts, and after COUNT messages prints one JSON line:
// {"messages":[...],"argumentCounts":[...],"cursorEvents":n}. Exits 1 with {"error"} on failure.
// Usage: node v2_gateway_client.js URL TOPIC COUNT. Does I/O: network connections, stdout.
"use strict";
const io = require("socket.io-client-v2");
const { exitAfterOutput } = require("./interop_common");

const [url, topic, countText] = process.argv.slice(2);
const count = Number(countText);
const socket = io(url, { transports: ["websocket"], reconnection: false, timeout: 5000 });
const messages = [];
const argumentCounts = [];
let cursorEvents = 0;
const timer = setTimeout(() => fail(new Error(`timed out after ${messages.length} messages`)), 20000);

function fail(error) {
  process.stdout.write(JSON.stringify({ error: String(error.message || error) }) + "\n");
  exitAfterOutput(1);
}

socket.on("cursor", () => cursorEvents++);
socket.on("message", (...args) => {
  messages.push(args[0]);
  argumentCounts.push(args.length);
  if (messages.length === count) {
    clearTimeout(timer);
    socket.close();
    process.stdout.write(JSON.stringify({ messages, argumentCounts, cursorEvents }) + "\n");
    exitAfterOutput(0);
  }
});
socket.on("ready", () => {
  socket.emit("subscribe", [{ topic, partition: 0, offset: 0 }], (error) => {
    if (error) return fail(new Error(JSON.stringify(error)));
    socket.emit("start", null, (startError) => startError && fail(new Error(JSON.stringify(startError))));
  });
});
socket.on("connect_error", fail);
