"""`make serve`, `make chat` and `make web` stop everything they started on SIGINT, SIGTERM
and SIGHUP, within 20 seconds: no process left, every port free."""

import os
import re
import signal
import socket
import subprocess
import time

import pytest

from bot.devstack import free_port
from tests.conftest import REPO

pytestmark = pytest.mark.e2e
READY = re.compile(r"\[pids rasa (\d+) actions (\d+); ports ([\d ]+)\]")
STOP_WITHIN = 20


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes only once reaped; check its state.
    try:
        state = open(f"/proc/{pid}/stat").read().split()[2]
    except OSError:
        return False
    return state != "Z"


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _start(target: str):
    env = {**os.environ, "PORT": str(free_port()), "WEB_PORT": str(free_port())}
    proc = subprocess.Popen(["make", "--no-print-directory", target], cwd=REPO, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = READY.search(line)
        if found:
            return proc, [int(found.group(1)), int(found.group(2))], [int(p) for p in found.group(3).split()]
    proc.kill()
    pytest.fail(f"make {target} never became ready:\n{''.join(seen)[-3000:]}")


@pytest.mark.parametrize("target", ["serve", "chat", "web"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_every_signal_stops_everything(target, sig):
    proc, pids, ports = _start(target)
    assert all(_alive(p) for p in pids)
    os.killpg(proc.pid, sig)  # what a terminal, a service manager or a CI job does: the whole group
    t0 = time.monotonic()
    while time.monotonic() - t0 < STOP_WITHIN and (any(_alive(p) for p in pids) or proc.poll() is None):
        time.sleep(0.2)
    left = [p for p in pids if _alive(p)]
    if proc.poll() is None:
        proc.kill()
    assert not left, f"still running after {STOP_WITHIN} s: {left}"
    assert proc.poll() is not None
    assert all(_port_free(p) for p in ports), ports


def test_sigterm_to_make_alone_stops_everything():
    proc, pids, ports = _start("serve")
    os.kill(proc.pid, signal.SIGTERM)  # make passes SIGTERM on to the dev stack
    t0 = time.monotonic()
    while time.monotonic() - t0 < STOP_WITHIN and any(_alive(p) for p in pids):
        time.sleep(0.2)
    assert not [p for p in pids if _alive(p)]
    assert all(_port_free(p) for p in ports)
