"""Private state on disk: directories 0700, whatever the umask or which one is made first.

A state folder that exists already must be the user's own and writable by nobody else:
whoever can write there can swap the journal or a lock for a link to another file. Files in
it are opened without following links (``open_private``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from offboard.errors import ConfigurationError

STATE_FOLDER = "state folder"


def private_dir(path: Path, what: str | None = None) -> Path:
    """Create ``path`` and any missing parent as 0700 (``mkdir(parents=True)`` would make parents 0755).

    With ``what`` (``"state folder"``), ``path`` is then checked (``check_private_dir``), and an
    error names it as ``what``.
    """
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    if what is not None:
        check_private_dir(path, what)
    return path


def check_private_dir(path: Path, what: str = STATE_FOLDER) -> None:
    """Refuse an existing folder owned by another user or writable by group or others; a missing one passes."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    uid = os.getuid()
    if info.st_uid != uid:
        raise ConfigurationError(f"{what} {path} is owned by uid {info.st_uid}, not you (uid {uid}): run offboard as "
                                 "its owner, or point [state] dir at a folder of your own")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o022:
        raise ConfigurationError(f"{what} {path} is writable by others (mode {mode:04o}): run chmod 700 {path}")


def open_private(path: Path, flags: int, what: str, fix: str) -> int:
    """``os.open`` a state file (created 0600) without following a link; a link raises ConfigurationError.

    ``what`` names the file in the error ("lock file"), ``fix`` says what to do about the link.
    """
    try:
        return os.open(path, flags | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise ConfigurationError(f"{what} {path} is a symbolic link: offboard opens no link in its state folder; "
                                     f"{fix}") from None
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` all at once or not at all (temp file, fsync, rename: a crash leaves the old file or the new
    one, never half), 0600; a failure leaves no temp file behind."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
