// Helpers shared by the interop client scripts: awaiting events with a deadline, acks, and
// turning binary values into JSON-printable {"bytes":[...]}. Pure except for timers.
"use strict";

const DEADLINE_MS = 5000;

function once(emitter, event) {
  return new Promise((resolve) => emitter.once(event, (...args) => resolve(args)));
}

function withDeadline(promise, what, ms = DEADLINE_MS) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function plain(value) {
  if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const view = value instanceof ArrayBuffer ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { bytes: Array.from(view) };
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

// Emits with an ack callback and resolves with every argument of the ack.
function emitWithAckArgs(socket, event, ...args) {
  const acked = new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply)));
  return withDeadline(acked, `ack of ${event}`);
}

// process.exit() once stdout has taken everything written to it. A write to a full pipe (the
// reader busy, 64 KiB unread) is queued, and exiting at once drops what is queued: the reader
// got 490 lines of 500 sessions once, from a child that exited 0.
function exitAfterOutput(code) {
  process.stdout.write("", () => process.exit(code));
}

module.exports = { once, withDeadline, plain, emitWithAckArgs, exitAfterOutput };
