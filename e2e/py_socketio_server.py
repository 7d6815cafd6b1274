"""A python-socketio server (aiohttp) that the project's C++ client is tested against: a
socket.io implementation we did not write. Does I/O: listens on 127.0.0.1:PORT, logs one JSON
line per server-side observation on stdout.

Handlers on the default namespace:
    connect   auth {"token": "bad"} is refused (CONNECT_ERROR "bad token"); otherwise emits
              `hello` with the auth object
    echo      acks with its arguments
    raw       emits `raw-back` with its arguments (no ack)
    ask       calls `question` on the client with an ack, then emits `asked` with the ack's args
    bin       emits `bin-back` with its (binary) arguments and acks with them
    noack     no handler: an ack asked for is never sent
Heartbeat: pingInterval 1 s, pingTimeout 1 s (so a short test sees several ping rounds).

Usage: python py_socketio_server.py PORT
"""

import asyncio
import json
import sys

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=1,
                           max_http_buffer_size=1_000_000)
app = web.Application()
sio.attach(app)


def log(**fields):
    print(json.dumps(fields, default=lambda b: b.hex()), flush=True)


@sio.event
async def connect(sid, environ, auth):
    if isinstance(auth, dict) and auth.get("token") == "bad":
        raise socketio.exceptions.ConnectionRefusedError("bad token")
    log(event="connect", auth=auth)
    await sio.emit("hello", auth, to=sid)


@sio.event
async def disconnect(sid, *reason):
    log(event="disconnect", reason=str(reason[0]) if reason else None)


@sio.event
async def echo(sid, *args):
    log(event="echo", args=list(args))
    return args


@sio.event
async def raw(sid, *args):
    await sio.emit("raw-back", args, to=sid)


@sio.event
async def ask(sid, *args):
    reply = await sio.call("question", args[0], to=sid, timeout=5)
    reply = list(reply) if isinstance(reply, tuple) else [reply]
    log(event="asked", reply=reply)
    await sio.emit("asked", tuple(reply), to=sid)


@sio.event
async def bin(sid, *args):
    log(event="bin", args=list(args))
    await sio.emit("bin-back", args, to=sid)
    return args


async def main(port: int):
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    log(event="listening", port=port)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
