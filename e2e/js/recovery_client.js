// The official socket.io-client 4.x with connection state recovery, configured with nothing but
// the URL: on its first `ready` it subscribes to TOPIC (every partition, from the end) and starts,
// then prints what it sees, one JSON line each: {"connect":{"recovered":bool,"pid":...}},
// {"ready":[...]}, {"started":true}, {"m":[partition,offset,n]} per message (n: the value's "n"),
// {"err":{...}}, {"disconnect":reason}. Commands on stdin, one per line: "tamper-offset" and
// "tamper-pid" change one character of what the client will send when it reconnects (as a
// client trying its luck would), "exit" ends it.
// With FILTERS_JSON, the client sets those filters between subscribe and start.
// With the environment variable TOKEN, the client sends {token} as its CONNECT auth (socket.io
// adds its pid and cursor to it); the command "token JWT" changes the token the next CONNECT
// sends.
// Usage: node recovery_client.js URL TOPIC [FILTERS_JSON]. Does I/O: network connections, stdio.
"use strict";
const readline = require("readline");
const { io } = require("socket.io-client");

const [url, topic, filtersText] = process.argv.slice(2);

function print(object) {
  process.stdout.write(JSON.stringify(object) + "\n");
}

function flip(text) {
  // Another base64url character in the middle: still well formed, no longer signed.
  const i = Math.floor(text.length / 2);
  return text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
}

let token = process.env.TOKEN;
const socket = io(url, token ? { auth: (send) => send({ token }) } : {});
let subscribed = false;
socket.on("connect", () => print({ connect: { recovered: socket.recovered, pid: socket._pid } }));
socket.on("disconnect", (reason) => print({ disconnect: reason }));
socket.on("err", (error) => print({ err: error }));
socket.on("message", (message) => {
  const k = message._kafka;
  print({ m: [k.partition, k.offset, message.n] });
});
socket.on("ready", (topics) => {
  print({ ready: topics });
  if (subscribed) return;  // a new session after a failed recovery: the test decides
  subscribed = true;
  const start = () =>
    socket.emit("start", null, (startError) => print(startError ? { err: startError } : { started: true }));
  socket.emit("subscribe", topic, (error) => {
    if (error) return print({ err: error });
    if (!filtersText) return start();
    socket.emit("filter", JSON.parse(filtersText), (filterError) => (filterError ? print({ err: filterError }) : start()));
  });
});

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (line === "tamper-offset") socket._lastOffset = flip(socket._lastOffset);
  else if (line === "tamper-pid") socket._pid = flip(socket._pid);
  else if (line.startsWith("token ")) token = line.slice("token ".length);
  else if (line === "exit") {
    socket.disconnect();
    process.exit(0);
  }
  print({ done: line.startsWith("token ") ? "token" : line });
});
