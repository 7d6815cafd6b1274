"""The e2e fixtures' own behaviour where a mistake would hide a broken server: a server that
fails at start is reported at once with its output, and only a port taken by another process
between free_port() and the bind is retried. Uses `kasocki testserver` and `kasocki serve`
(no Kafka needed: both fail or listen before they talk to it). Does I/O: child processes, TCP."""

from __future__ import annotations

import socket

import pytest

from conftest import StartError, start_on_free_port


def test_a_server_that_exits_at_start_is_reported_at_once(start_process, kasocki_bin):
    tries = []

    def start_once(port: int):
        tries.append(port)
        return start_process([kasocki_bin, "serve", "--listen", f"127.0.0.1:{port}",
                              "--no-such-option"], port=port)

    with pytest.raises(StartError) as failed:
        start_on_free_port(start_once)
    assert len(tries) == 1, tries
    assert not failed.value.port_taken
    assert "exited with 2" in str(failed.value) and "no-such-option" in str(failed.value)


def test_a_crash_at_start_is_not_retried(start_process):
    tries = []

    def start_once(port: int):
        tries.append(port)
        # A process killed by a signal before it listens, as a crashing server would be.
        return start_process(["sh", "-c", "kill -SEGV $$"], port=port)

    with pytest.raises(StartError) as failed:
        start_on_free_port(start_once)
    assert len(tries) == 1 and not failed.value.port_taken
    assert "exited with -11" in str(failed.value)


@pytest.mark.parametrize("subcommand", ["testserver", "serve"])
def test_a_port_taken_before_the_bind_is_retried_on_another(start_process, kasocki_bin,
                                                            subcommand):
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        taken = thief.getsockname()[1]
        tries = []

        def start_once(port: int):
            port = taken if not tries else port  # the first try loses the race
            tries.append(port)
            args = [kasocki_bin, subcommand, "--listen", f"127.0.0.1:{port}"]
            return start_process(args + (["--brokers", "127.0.0.1:1"] if subcommand == "serve"
                                         else []), port=port)

        process = start_on_free_port(start_once)
        assert len(tries) == 2 and tries[0] == taken and process.port == tries[1] != taken
        assert process.alive()


def test_a_server_that_keeps_losing_the_port_fails_after_the_last_try(start_process,
                                                                      kasocki_bin):
    with socket.socket() as thief:
        thief.bind(("127.0.0.1", 0))
        thief.listen()
        taken = thief.getsockname()[1]
        tries = []

        def start_once(_port: int):
            tries.append(taken)
            return start_process([kasocki_bin, "testserver", "--listen", f"127.0.0.1:{taken}"],
                                 port=taken)

        with pytest.raises(StartError) as failed:
            start_on_free_port(start_once, attempts=3)
        assert len(tries) == 3 and failed.value.port_taken
        assert "Address already in use" in str(failed.value)
