// Interop check: a socket.io 2.x client (Engine.IO v3) against a server with the conformance
// handlers (auth, message -> message-back, message-with-ack).
// Usage: node interop_v2.js URL polling|websocket
// "polling" stays on long-polling (in node this client has no XHR2, so it polls with b64=1 and
// binary travels as base64; the XHR2 binary framing is checked by the raw v3 tests), "websocket"
// never polls. Prints one JSON object with what the client saw (binary
// values as {"bytes":[...]}); exits 1 with {"error"} on failure. Does I/O: network connections.
"use strict";
const io = require("socket.io-client-v2");
const { once, withDeadline, plain, emitWithAckArgs, exitAfterOutput } = require("./interop_common");

const [url, mode] = process.argv.slice(2);
const options = {
  transports: mode === "websocket" ? ["websocket"] : ["polling"],
  reconnection: false,
  timeout: 5000,
  query: { token: "v2" },
};

async function main() {
  const result = {};
  const socket = io(url, options);
  const auth = once(socket, "auth");
  await withDeadline(once(socket, "connect"), "connect");
  result.transport = socket.io.engine.transport.name;
  result.protocol_query = socket.io.engine.transport.query.EIO;
  result.auth_received = (await withDeadline(auth, "auth")).length === 1;

  let back = once(socket, "message-back");
  socket.emit("message", 1, "h\u00e9llo \ud83d\ude00", { 3: [true] });
  result.message_back = plain(await withDeadline(back, "message-back"));
  result.ack = plain(await emitWithAckArgs(socket, "message-with-ack", "hi", { a: 1 }));

  back = once(socket, "message-back");
  socket.emit("message", Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]) }, "text");
  result.binary_back = plain(await withDeadline(back, "binary message-back"));
  result.binary_ack = plain(await emitWithAckArgs(socket, "message-with-ack", Buffer.from([6, 7, 8])));

  // socket.io 2.x sends its query with the CONNECT of a namespace: `40/custom?token=v2,`.
  const custom = io(`${url}/custom`, options);
  const customAuth = once(custom, "auth");
  await withDeadline(once(custom, "connect"), "connect /custom");
  result.custom_auth = plain((await withDeadline(customAuth, "auth on /custom"))[0]);
  custom.close();

  // socket.io 2.x reports a refused namespace as an "error" event, with a string or an object.
  const random = io(`${url}/random`, options);
  const [error] = await withDeadline(once(random, "error"), "error on /random");
  result.unknown_namespace_error = typeof error === "string" ? error : error && error.message;
  result.ack_after_refusal = plain(await emitWithAckArgs(socket, "message-with-ack", "still"));
  random.close();
  socket.close();
  return result;
}

main().then(
  (result) => { console.log(JSON.stringify(result)); exitAfterOutput(0); },
  (error) => { console.log(JSON.stringify({ error: String((error && error.stack) || error) })); exitAfterOutput(1); },
);
