"""The installed Kasocki: `cmake --install` into a scratch prefix, and the Debian package CPack
builds (cmake/install.cmake) unpacked with `dpkg -x` into a scratch root, its binary run from
there against the real broker (version, /healthz, the page, a socket.io client reading a topic)
and its systemd units checked. Does I/O: runs cmake, cpack and dpkg-deb on the build folder
(KASOCKI_BUILD_DIR), child processes, HTTP."""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest
import requests

from conftest import fixture_events, free_port
from gateway_fixture import DEADLINE_S, GatewayClient, GatewayServer, wait_healthy

pytest_plugins = ["gateway_fixture"]

ONE = "kasocki_test_one"
HARDENING = ["DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes",
             "PrivateTmp=yes", "CapabilityBoundingSet=\n", "MemoryDenyWriteExecute=yes",
             "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX"]


def run(*args, cwd=None, timeout=600) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def package_root(build_dir, tmp_path_factory) -> pathlib.Path:
    """The .deb of the build, unpacked."""
    if not (build_dir / "CPackConfig.cmake").exists():
        pytest.fail(f"{build_dir} has no CPackConfig.cmake: configure it with cmake")
    out = tmp_path_factory.mktemp("package")
    run("cpack", "-G", "DEB", "-B", out, cwd=build_dir)
    [deb] = list(out.glob("kasocki_*.deb"))
    root = out / "root"
    run("dpkg-deb", "-x", deb, root)
    (out / "control").write_text(run("dpkg-deb", "-f", deb))
    return root


def serve(binary: pathlib.Path, kafka_bootstrap: str, start_process, *args) -> GatewayServer:
    port = free_port()
    server = GatewayServer(start_process([str(binary), "serve", "--listen", f"127.0.0.1:{port}",
                                          "--brokers", kafka_bootstrap, "--log-level", "warn",
                                          *args], port=port), port)
    wait_healthy(server)
    return server


def test_cmake_install_into_a_prefix(build_dir, tmp_path):
    run("cmake", "--install", build_dir, "--prefix", tmp_path, timeout=300)
    assert run(tmp_path / "bin" / "kasocki", "--version").startswith("kasocki ")
    assert (tmp_path / "share" / "kasocki" / "ui" / "index.html").is_file()
    assert (tmp_path / "share" / "kasocki" / "kasocki.example.jsonc").is_file()
    assert (tmp_path / "share" / "kasocki" / "deploy" / "haproxy.cfg").is_file()
    assert (tmp_path / "lib" / "systemd" / "system" / "kasocki@.service").is_file()


def test_the_package_has_its_dependencies_declared(package_root):
    control = (package_root.parent / "control").read_text()
    assert "Package: kasocki" in control
    depends = next(line for line in control.splitlines() if line.startswith("Depends:"))
    for library in ("libre2", "libssl3", "libboost-program-options", "libc6"):
        assert library in depends, depends
    # The librdkafka it was built with travels in the package when it is not the system's.
    private = list((package_root / "usr" / "lib").glob("**/kasocki/librdkafka.so.1"))
    assert private or "librdkafka1" in depends, depends


def test_the_unpacked_binary_serves_clients(package_root, kafka_bootstrap, start_process):
    binary = package_root / "usr" / "bin" / "kasocki"
    assert run(binary, "--version").startswith("kasocki ")
    libraries = run("ldd", binary)
    assert "not found" not in libraries, libraries
    if list((package_root / "usr" / "lib").glob("**/kasocki/librdkafka.so.1")):
        assert f"{package_root}/usr/bin/../lib" in libraries, libraries
    server = serve(binary, kafka_bootstrap, start_process)
    page = requests.get(server.url + "/", timeout=DEADLINE_S)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    client = GatewayClient(server.url)
    try:
        client.ok("subscribe", [{"topic": ONE, "partition": 0, "offset": 0}])
        client.ok("start")
        messages = client.messages(10)
        assert [{k: v for k, v in m.items() if k != "_kafka"} for m in messages] == \
            fixture_events(ONE)
    finally:
        client.close()
    # The page's installed files serve as --ui-assets too.
    ui = package_root / "usr" / "share" / "kasocki" / "ui"
    assets = serve(binary, kafka_bootstrap, start_process, "--ui-assets", ui)
    assert requests.get(assets.url + "/", timeout=DEADLINE_S).text == \
        (ui / "index.html").read_text()


@pytest.mark.parametrize("unit", ["kasocki.service", "kasocki@.service"])
def test_the_systemd_units_are_hardened(package_root, unit):
    text = (package_root / "usr" / "lib" / "systemd" / "system" / unit).read_text()
    for setting in HARDENING:
        assert setting in text, setting
    exec_start = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    assert exec_start.startswith("ExecStart=/usr/bin/kasocki serve --config /etc/kasocki/"), \
        exec_start
    if shutil.which("systemd-analyze"):
        # Its own checks of every setting; the binary it names is not on this machine.
        done = subprocess.run(["systemd-analyze", "verify", str(
            package_root / "usr" / "lib" / "systemd" / "system" / unit)],
            capture_output=True, text=True, timeout=60)
        problems = [line for line in done.stderr.splitlines()
                    if line.strip() and "/usr/bin/kasocki" not in line
                    and "instance name" not in line.lower()]
        assert not problems, done.stderr
