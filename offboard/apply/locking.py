"""Advisory locks, so two CC members cannot run the same expulsion (or two audits) at once.

``flock`` locks die with their process, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offboard.clock import utc_now
from offboard.errors import RunLocked
from offboard.files import private_dir


@contextmanager
def hold(state_dir: Path, name: str, what: str) -> Iterator[None]:
    """Hold the lock ``name`` or raise ``RunLocked`` saying who holds it."""
    folder = private_dir(state_dir / "locks")
    path = folder / f"{name}.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"{what} is already running ({_holder(path)}): wait for it to finish, then try again") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()}).encode())
        yield
    finally:
        os.close(fd)


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text() or "{}")
        return f"process {info['pid']} on {info['host']} since {info['since'][:19].replace('T', ' ')} UTC"
    except (OSError, ValueError, KeyError):
        return "by another process"
