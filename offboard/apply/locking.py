"""Advisory locks, so two CC members cannot run the same expulsion (or two audits) at once.

``flock`` locks die with their process, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from offboard.clock import utc_now
from offboard.errors import ConfigurationError, RunLocked
from offboard.files import STATE_FOLDER, open_private, private_dir

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")  # a lock's name is a file name: no '/', no leading '.'


@contextmanager
def hold(state_dir: Path, name: str, what: str) -> Iterator[None]:
    """Hold the lock ``name`` or raise ``RunLocked`` saying who holds it.

    The state folder and its ``locks/`` must be the user's alone, and the lock file is
    opened without following a link: a link planted there never gets written through.
    """
    if not NAME.match(name):
        raise ConfigurationError(f"lock name {name!r} cannot be a file name: use letters, digits, '.', '_' or '-'")
    private_dir(state_dir, STATE_FOLDER)
    folder = private_dir(state_dir / "locks", STATE_FOLDER)
    path = folder / f"{name}.lock"
    fd = open_private(path, os.O_RDWR | os.O_CREAT, "lock file", f"remove it (rm {path}) and try again")
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunLocked(f"{what} is already running ({_holder(fd)}): wait for it to finish, then try again") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()}).encode())
        yield
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    """Who holds the lock, from what they wrote in it (read through our descriptor, not the path again)."""
    try:
        info = json.loads(os.pread(fd, 4096, 0) or b"{}")
        return f"process {info['pid']} on {info['host']} since {info['since'][:19].replace('T', ' ')} UTC"
    except (OSError, ValueError, KeyError):
        return "by another process"
