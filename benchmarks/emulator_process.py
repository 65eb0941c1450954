"""Seeded emulators in a process of their own, for the benchmarks.

Their request handling (Google's discovery-document checks, JSON, paging through 10,000
users) happens at Google and Slack in real life; in the benchmark's own process it would
compete with the measured client for the GIL and show up as client time, and their state
would show up in its memory. So a child process builds, seeds and starts them, and the
parent asks it over a pipe to clear the request logs, to send them, and to stop.

    emulators = EmulatorProcess(build, workdir, latency=0.08)  # build(workdir, **options) in the child
    emulators.info      # what build sent back: URLs, tokens
    emulators.clear()   # empty the request logs
    emulators.log()     # the requests since, as Logged tuples ordered by time
    emulators.stop()

``build`` must be a top-level function (the child is spawned, so it is pickled by name); it
returns the started emulators by name and a picklable dict for the parent.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from offboard.testing.emulation import Emulator

Build = Callable[..., "tuple[Mapping[str, Emulator], dict[str, Any]]"]


class Logged(NamedTuple):
    """One request an emulator answered."""

    at: float  # time.time() when answered
    system: str  # the name build gave its emulator
    method: str
    path: str
    query: dict[str, list[str]]
    status: int  # 0 for a reset connection
    body: bytes  # Slack's clients post their arguments as a form


def _serve(conn: Connection, build: Build, workdir: str, options: dict[str, Any]) -> None:
    emulators, info = build(workdir, **options)
    conn.send(info)
    while True:
        command = conn.recv()
        if command == "clear":
            for emulator in emulators.values():
                emulator.clear_log()
            conn.send(None)
        elif command == "log":
            logged = []
            for name, emulator in emulators.items():
                with emulator.lock:
                    logged += [Logged(r.at, name, r.method, r.path, r.query, r.status, r.body) for r in emulator.log]
            conn.send(sorted(logged, key=lambda r: r.at))
        else:
            for emulator in emulators.values():
                emulator.stop()
            conn.send(None)
            return


class EmulatorProcess:
    """Emulators that ``build(workdir, **options)`` seeds and starts in a child process."""

    def __init__(self, build: Build, workdir: str | Path, **options: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, build, str(workdir), options), daemon=True)
        self.process.start()
        self.info: dict[str, Any] = self.conn.recv()

    def _ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def clear(self) -> None:
        self._ask("clear")

    def log(self) -> list[Logged]:
        return self._ask("log")

    def stop(self) -> None:
        self._ask("stop")
        self.process.join(10)
