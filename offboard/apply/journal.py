"""The journal: SQLite (WAL) record of runs, actions and confirmations.

Write-ahead: an action's ``intent`` row is committed before its side effect and its
outcome row after. A run that dies in between is resumed by re-checking the actions
left in ``intent``, never by blindly repeating them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from offboard.apply.rows import ActionRow, Confirmation, RunRow, action_row, run_row
from offboard.apply.schema import SCHEMA
from offboard.apply.states import ActionState, Progress, RunStatus
from offboard.clock import utc_now
from offboard.files import STATE_FOLDER, open_private, private_dir
from offboard.spi import Action, Phase

__all__ = ["PROOF_FIELDS", "ActionRow", "Confirmation", "Journal", "RunRow", "utc_now"]
PROOF_FIELDS = ("os_user", "principal", "fingerprint", "namespace", "statement", "signature")  # beside a confirmation


class Journal:
    """One connection shared by the engine's threads, serialized by a lock."""

    def __init__(self, path: Path) -> None:
        private_dir(path.parent, STATE_FOLDER)  # the user's alone: nobody else can swap a file for a link
        for suffix in ("", "-wal", "-shm"):  # state files are private: created 0600, never through a link
            f = Path(f"{path}{suffix}")
            os.close(open_private(f, os.O_RDONLY | os.O_CREAT, "journal file",
                                  "put the file itself there, or point [state] dir at the folder that holds it"))
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # survives a killed process; WAL keeps it consistent
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # -- runs

    def create_run(self, run_id: str, kind: str, member_id: str, member_name: str, operator: str,
                   plan: dict[str, Any], actions: Sequence[tuple[str, Action]],
                   approvals: dict[str, Any] | None = None) -> None:
        """The run, its pending actions and the approvals it is applied under: all recorded, or none."""
        with self._write() as db:
            db.execute(
                "INSERT INTO runs (id, kind, member_id, member_name, operator, status, started, plan) VALUES (?,?,?,?,?,?,?,?)",
                (run_id, kind, member_id, member_name, operator, RunStatus.RUNNING, utc_now(), json.dumps(plan)),
            )
            db.executemany(
                "INSERT INTO actions (run_id, position, system, action_id, phase, action, state) VALUES (?,?,?,?,?,?,?)",
                [(run_id, i, system, a.id, a.phase.value, json.dumps(a.to_dict()), Progress.PENDING)
                 for i, (system, a) in enumerate(actions)],
            )
            if approvals is not None:
                db.execute("INSERT INTO run_approvals (run_id, record) VALUES (?, ?)", (run_id, json.dumps(approvals)))

    def finish_run(self, run_id: str, status: RunStatus) -> None:
        with self._write() as db:
            db.execute("UPDATE runs SET status = ?, finished = ? WHERE id = ?", (status, utc_now(), run_id))

    def run(self, run_id: str) -> RunRow | None:
        rows = self._query("SELECT * FROM runs WHERE id = ?", (run_id,))
        return run_row(rows[0]) if rows else None

    def runs(self, member_id: str | None = None, limit: int = 50) -> list[RunRow]:
        if member_id is None:
            rows = self._query("SELECT * FROM runs ORDER BY started DESC LIMIT ?", (limit,))
        else:
            rows = self._query("SELECT * FROM runs WHERE member_id = ? ORDER BY started DESC LIMIT ?", (member_id, limit))
        return [run_row(r) for r in rows]

    def interrupted_runs(self, member_id: str | None = None) -> list[RunRow]:
        """Runs stopped before their end, newest first: actions that never reached an outcome, a run never
        marked finished (killed after its last action), or a finished run without its report. Actions ``held``
        for a manual step are not interrupted (``runs.interrupted_runs`` adds those a closed step released)."""
        sql = ("SELECT * FROM runs WHERE (status = ? OR id IN (SELECT run_id FROM actions WHERE state IN (?, ?))"
               " OR id NOT IN (SELECT run_id FROM reports))"
               + (" AND member_id = ?" if member_id is not None else "") + " ORDER BY started DESC")
        waiting = (RunStatus.RUNNING, Progress.PENDING, Progress.INTENT)
        args = (*waiting, member_id) if member_id is not None else waiting
        return [run_row(r) for r in self._query(sql, args)]

    def held_runs(self, member_id: str | None = None) -> list[RunRow]:
        """Runs with actions ``held`` for a manual step, newest first (not interrupted: they wait for a person)."""
        sql = ("SELECT * FROM runs WHERE id IN (SELECT run_id FROM actions WHERE state = ?)"
               + (" AND member_id = ?" if member_id is not None else "") + " ORDER BY started DESC")
        args = (Progress.HELD, member_id) if member_id is not None else (Progress.HELD,)
        return [run_row(r) for r in self._query(sql, args)]

    def find_run(self, prefix: str) -> list[RunRow]:
        """The run whose id is ``prefix``, else the runs whose id starts with it: literally, never as a pattern."""
        rows = self._query("SELECT * FROM runs WHERE substr(id, 1, ?) = ? ORDER BY started DESC", (len(prefix), prefix))
        exact = [r for r in rows if r["id"] == prefix]
        return [run_row(r) for r in (exact or rows)]

    # -- actions

    def actions(self, run_id: str, phase: Phase | None = None) -> list[ActionRow]:
        """The run's actions in plan order; ``phase``: that phase's only (the others are not even decoded)."""
        if phase is None:
            rows = self._query("SELECT * FROM actions WHERE run_id = ? ORDER BY position", (run_id,))
        else:
            rows = self._query("SELECT * FROM actions WHERE run_id = ? AND phase = ? ORDER BY position",
                               (run_id, phase.value))
        return [action_row(r) for r in rows]

    def action_counts(self, run_id: str) -> dict[str, int]:
        """How many actions the run has in each system."""
        rows = self._query("SELECT system, COUNT(*) AS n FROM actions WHERE run_id = ? GROUP BY system", (run_id,))
        return {r["system"]: r["n"] for r in rows}

    def mark_intent(self, run_id: str, system: str, action_id: str) -> None:
        """Committed before the side effect: a crash after this line is resumed by re-checking."""
        with self._write() as db:
            db.execute(
                "UPDATE actions SET state = ?, started = COALESCE(started, ?) WHERE run_id = ? AND system = ? AND action_id = ?",
                (Progress.INTENT, utc_now(), run_id, system, action_id),
            )

    def record_outcome(self, run_id: str, system: str, action_id: str, state: ActionState, *, attempts: int, detail: str,
                       observed: Any = None, last_error: str | None = None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE actions SET state = ?, attempts = attempts + ?, detail = ?, observed = ?, last_error = ?, "
                "finished = ?, started = COALESCE(started, ?) WHERE run_id = ? AND system = ? AND action_id = ?",
                (state, attempts, detail, json.dumps(observed) if observed is not None else None, last_error,
                 utc_now(), utc_now(), run_id, system, action_id),
            )

    # -- confirmations

    def add_confirmation(self, c: Confirmation) -> None:
        with self._write() as db:
            db.execute(
                "INSERT INTO confirmations (run_id, system, action_id, by, at, reference, note, evidence, not_applicable, reason)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (c.run_id, c.system, c.action_id, c.by, c.at, c.reference, c.note, json.dumps(c.evidence),
                 int(c.not_applicable), c.reason),
            )

    def add_confirmation_with_proof(self, c: Confirmation, proof: dict[str, str | None]) -> None:
        """A confirmation and its proof (``PROOF_FIELDS``: who ran the command, the signature if any), in one transaction."""
        with self._write() as db:
            row = db.execute(
                "INSERT INTO confirmations (run_id, system, action_id, by, at, reference, note, evidence, not_applicable, reason)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)", (c.run_id, c.system, c.action_id, c.by, c.at, c.reference, c.note,
                                                  json.dumps(c.evidence), int(c.not_applicable), c.reason)).lastrowid
            db.execute(f"INSERT INTO confirmation_proofs (confirmation_id, {', '.join(PROOF_FIELDS)}) VALUES (?,?,?,?,?,?,?)",
                       (row, *(proof.get(k) for k in PROOF_FIELDS)))

    def confirmation_proofs(self, run_id: str) -> list[dict[str, str | None] | None]:
        """The proof of each of ``confirmations(run_id)``, in that order; None where there is none (carried over, older)."""
        rows = self._query("SELECT p.* FROM confirmations c LEFT JOIN confirmation_proofs p ON p.confirmation_id = c.id"
                           " WHERE c.run_id = ? ORDER BY c.id", (run_id,))
        return [None if r["confirmation_id"] is None else {k: r[k] for k in PROOF_FIELDS} for r in rows]

    def add_actions(self, run_id: str, plan: dict[str, Any], actions: Sequence[tuple[str, Action]]) -> None:
        """Actions found later in a run (a system read when the run is resumed), with the plan that now holds them."""
        with self._write() as db:
            last = db.execute("SELECT COALESCE(MAX(position), -1) FROM actions WHERE run_id = ?", (run_id,)).fetchone()[0]
            db.execute("UPDATE runs SET plan = ? WHERE id = ?", (json.dumps(plan), run_id))
            db.executemany(
                "INSERT INTO actions (run_id, position, system, action_id, phase, action, state) VALUES (?,?,?,?,?,?,?)",
                [(run_id, last + 1 + i, system, a.id, a.phase.value, json.dumps(a.to_dict()), Progress.PENDING)
                 for i, (system, a) in enumerate(actions)],
            )

    def record_approvals(self, run_id: str, record: dict[str, Any]) -> None:
        """The approvals a run was applied under, again: once an emergency run's missing approvals are added."""
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO run_approvals (run_id, record) VALUES (?, ?)", (run_id, json.dumps(record)))

    def approvals(self, run_id: str) -> dict[str, Any] | None:
        rows = self._query("SELECT record FROM run_approvals WHERE run_id = ?", (run_id,))
        return json.loads(rows[0]["record"]) if rows else None

    def record_saved_plan(self, digest: str, member_id: str, path: Path, plan: dict[str, Any]) -> None:
        """A plan saved with --save-plan, by its digest: what was reviewed, for later approvals and audits."""
        with self._write() as db:
            db.execute("INSERT INTO saved_plans (digest, member_id, path, saved, plan) VALUES (?,?,?,?,?)",
                       (digest, member_id, str(path), utc_now(), json.dumps(plan)))

    def saved_plans(self, digest: str) -> list[dict[str, Any]]:
        rows = self._query("SELECT plan FROM saved_plans WHERE digest = ? ORDER BY saved", (digest,))
        return [json.loads(r["plan"]) for r in rows]

    def retry_failed(self, run_id: str) -> int:
        """Put a run's failed actions back to ``pending``: resumed, each is applied again through ``apply``, which
        looks first (a failure is an answer: nothing is in doubt, unlike an action left in ``intent``)."""
        with self._write() as db:
            return db.execute("UPDATE actions SET state = ?, last_error = NULL WHERE run_id = ? AND state = ?",
                              (Progress.PENDING, run_id, "failed")).rowcount

    def member_steps(self, member_id: str) -> list[ActionRow]:
        """Every manual step of the member's runs, oldest run first (to carry confirmations over)."""
        rows = self._query("SELECT actions.* FROM actions JOIN runs ON runs.id = actions.run_id "
                           "WHERE runs.member_id = ? AND actions.phase = 'manual' ORDER BY runs.started, actions.position",
                           (member_id,))
        return [action_row(r) for r in rows]

    def confirmations(self, run_id: str) -> list[Confirmation]:
        rows = self._query("SELECT * FROM confirmations WHERE run_id = ? ORDER BY id", (run_id,))
        return [
            Confirmation(r["run_id"], r["system"], r["action_id"], r["by"], r["at"], r["reference"], r["note"],
                         json.loads(r["evidence"]), bool(r["not_applicable"]), r["reason"])
            for r in rows
        ]

    # -- reports

    def add_report(self, run_id: str, seq: int, path: Path, sha256: str) -> None:
        with self._write() as db:
            db.execute("INSERT INTO reports (run_id, seq, path, at) VALUES (?,?,?,?)", (run_id, seq, str(path), utc_now()))
            db.execute("INSERT INTO report_hashes (seq, sha256) VALUES (?,?)", (seq, sha256))

    def reports(self, run_id: str) -> list[tuple[int, str]]:
        rows = self._query("SELECT seq, path FROM reports WHERE run_id = ? ORDER BY seq", (run_id,))
        return [(r["seq"], r["path"]) for r in rows]

    def recorded_reports(self) -> list[tuple[int, str, str | None]]:
        """(seq, file name, sha256: None for rows older than the hashes) of every report written, for ``verify``."""
        rows = self._query("SELECT r.seq, r.path, h.sha256 FROM reports r LEFT JOIN report_hashes h ON h.seq = r.seq "
                           "ORDER BY r.seq, r.rowid")
        return [(r["seq"], Path(r["path"]).name, r["sha256"]) for r in rows]
