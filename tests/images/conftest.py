"""One stack of the built images for the module (tests/images/stack.py), removed afterwards
whatever happens, also on SIGTERM (make's or CI's timeout) and Ctrl-C."""

from __future__ import annotations

import signal

import pytest

from tests.images.stack import Stack


@pytest.fixture(scope="session")
def stack():
    def terminate(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, terminate)
    s = Stack()
    try:
        yield s.up()
    finally:
        s.down()
        signal.signal(signal.SIGTERM, previous)
