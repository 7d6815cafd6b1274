// Interop check: the official socket.io-client 4.x against a server with the conformance
// handlers (auth, message -> message-back, message-with-ack, namespace /custom).
// Usage: node interop_v4.js URL polling|websocket
// "polling" starts on long-polling and upgrades; "websocket" never polls. Prints one JSON object
// with what the client saw (binary values as {"bytes":[...]}); exits 1 with {"error"} on failure.
// Does I/O: network connections to URL.
"use strict";
const { io } = require("socket.io-client");
const { once, withDeadline, plain, emitWithAckArgs, exitAfterOutput } = require("./interop_common");

const [url, mode] = process.argv.slice(2);
const options = {
  transports: mode === "websocket" ? ["websocket"] : ["polling", "websocket"],
  reconnection: false,
  timeout: 5000,
};

async function main() {
  const result = {};
  const socket = io(url, { ...options, auth: { token: "abc" } });
  // The manager opens asynchronously: these listeners see the first transport and the upgrade.
  socket.io.once("open", () => {
    result.opened_transport = socket.io.engine.transport.name;
    socket.io.engine.once("upgrade", (transport) => { result.upgraded_to = transport.name; });
  });
  const auth = once(socket, "auth");
  await withDeadline(once(socket, "connect"), "connect");
  result.auth = plain((await withDeadline(auth, "auth"))[0]);

  let back = once(socket, "message-back");
  socket.emit("message", 1, "2", { 3: [true] });
  result.message_back = plain(await withDeadline(back, "message-back"));
  result.ack = plain(await emitWithAckArgs(socket, "message-with-ack", "hi", { a: 1 }));

  back = once(socket, "message-back");
  socket.emit("message", Buffer.from([1, 2, 3]), { nested: Buffer.from([4, 5]) }, "text");
  result.binary_back = plain(await withDeadline(back, "binary message-back"));
  result.binary_ack = plain(await emitWithAckArgs(socket, "message-with-ack", Buffer.from([6, 7, 8])));

  if (mode !== "websocket" && !result.upgraded_to) {
    await withDeadline(once(socket.io.engine, "upgrade"), "upgrade");
  }
  result.final_transport = socket.io.engine.transport.name;
  back = once(socket, "message-back");
  socket.emit("message", "after-upgrade", Buffer.from([9]));
  result.after_upgrade = plain(await withDeadline(back, "message-back after upgrade"));

  const custom = io(`${url}/custom`, { ...options, auth: { token: "c" } });
  const customAuth = once(custom, "auth");
  await withDeadline(once(custom, "connect"), "connect /custom");
  result.custom_auth = plain((await withDeadline(customAuth, "auth on /custom"))[0]);
  result.custom_multiplexed = custom.io === socket.io;

  const random = io(`${url}/random`, options);
  const [error] = await withDeadline(once(random, "connect_error"), "connect_error on /random");
  result.unknown_namespace_error = error.message;

  // The main namespace still works after the refusal on the same connection.
  result.ack_after_refusal = plain(await emitWithAckArgs(socket, "message-with-ack", "still"));
  custom.disconnect();
  random.disconnect();
  socket.disconnect();
  return result;
}

main().then(
  (result) => { console.log(JSON.stringify(result)); exitAfterOutput(0); },
  (error) => { console.log(JSON.stringify({ error: String((error && error.stack) || error) })); exitAfterOutput(1); },
);
