"""A TCP relay for the e2e suites: forwards every connection to a target port, and drop() cuts
them all at once as a network failure would (a reset on both sides, nothing flushed), while new
connections keep working; the target can be changed (to move clients to another server). Runs
an asyncio loop in a thread of its own. Does I/O: TCP sockets on loopback."""

from __future__ import annotations

import asyncio
import socket
import struct
import threading


class TcpRelay:
    def __init__(self, target_port: int):
        self.target_port = target_port
        self.connections = 0  # accepted so far
        self._pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _call(self, coroutine, timeout: float = 10.0):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    async def _handle(self, client_reader, client_writer):
        self.connections += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                "127.0.0.1", self.target_port)
        except OSError:
            _reset(client_writer)
            return
        pair = (client_writer, upstream_writer)
        self._pairs.add(pair)

        async def pump(reader, writer, other):
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            _reset(writer)
            _reset(other)

        await asyncio.gather(pump(client_reader, upstream_writer, client_writer),
                             pump(upstream_reader, client_writer, upstream_writer))
        self._pairs.discard(pair)

    def drop(self) -> int:
        """Resets every open connection, both sides; returns how many were cut."""

        async def reset_all():
            pairs = list(self._pairs)
            self._pairs.clear()
            for client, upstream in pairs:
                _reset(client)
                _reset(upstream)
            return len(pairs)

        return self._call(reset_all())

    def close(self) -> None:
        self.drop()

        async def finish():
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self._call(finish())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Closes with a reset (SO_LINGER 0), not a FIN: what the peer sees when a network fails."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()
