"""The whole job through the operations the CLI runs, on the demo org with Bitwarden in it.

Bitwarden is registered in-process (as its entry point will be), and the org's playbooks hold only a
Bitwarden step. Expelling Bob revokes him, takes him out of his groups and leaves the rotation
checklist open for a person; suspending Dan and reinstating him puts the vault back as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from offboard.connectors.bitwarden.emulator import BitwardenEmulator

from offboard import operations
from offboard.apply.states import RunStatus
from offboard.clock import today
from offboard.operations import ExpelRequest, Session
from offboard.operations.reinstating import ReinstateRequest
from offboard.operations.revoke import SuspendRequest
from offboard.spi import State, registry
from offboard.testing.sandbox import DemoOrg, demo_org
from tests.connectors.bitwarden.conftest import state

EXPEL = "name: expel\nsteps:\n  - connector: bitwarden\n"
SUSPEND = "name: suspend\nsteps:\n  - connector: bitwarden\n    options:\n      rotation_checklist: false\n"


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoOrg]:
    monkeypatch.setattr(registry, "REGISTERED", dict(registry.REGISTERED))
    registry.register("bitwarden", "offboard.connectors.bitwarden:BitwardenConnector")
    with demo_org(tmp_path / "org") as found:
        (found.root / "playbooks").mkdir()
        (found.root / "playbooks" / "expel.yaml").write_text(EXPEL)
        (found.root / "playbooks" / "suspend.yaml").write_text(SUSPEND)
        yield found


def member(emulator: BitwardenEmulator, email: str) -> dict[str, Any]:
    with emulator.lock:
        found = next(m for m in emulator.org.members.values() if m.email == email)
        groups = sorted(emulator.org.groups[g].name for g in emulator.org.group_ids_of(found.id))
        return {"status": found.status, "groups": groups}


def test_expel_then_suspend_and_reinstate(org: DemoOrg, sleeps: list[float]) -> None:
    emulator = org.sandboxes["bitwarden"].emulator
    assert isinstance(emulator, BitwardenEmulator)
    environ = {**org.environ, "OFFBOARD_OPERATOR": "test"}
    assert member(emulator, "bob@example.org") == {"status": 2, "groups": ["Everyone", "Social media"]}
    with Session.open(str(org.config_path), environ, paced=False) as session:
        expelled = operations.expel(session, ExpelRequest("m042", yes=True))
        assert expelled.run is not None and expelled.run.status is RunStatus.INCOMPLETE, expelled.run
        rows = {r.action.kind: r for r in session.journal.actions(expelled.run.run.id)}
        assert {kind: row.state for kind, row in rows.items()} == {
            "revoke": State.CHANGED, "groups": State.CHANGED, "rotate": State.MANUAL}
        rotate = rows["rotate"].action
        assert rotate.manual is not None and rotate.manual.title == "Rotate the credentials in these 3 Bitwarden collections"
        assert member(emulator, "bob@example.org") == {"status": -1, "groups": []}

        before = state(emulator)
        until = (today() + timedelta(days=30)).isoformat()
        suspended = operations.suspend(session, SuspendRequest("m007", until, "probation", yes=True))
        assert suspended.run is not None and suspended.run.status is RunStatus.COMPLETE, suspended.run
        assert member(emulator, "dan@example.org") == {"status": -1, "groups": []}

        reinstated = operations.reinstate(session, ReinstateRequest("m007", yes=True))
        assert reinstated.run is not None and reinstated.run.status is RunStatus.COMPLETE, reinstated.run
    assert state(emulator) == before
    assert member(emulator, "dan@example.org") == {"status": 2, "groups": ["Everyone", "Finance", "Social media"]}
    assert [r.status for r in emulator.log if r.status >= 400 and not r.path.endswith(("/revoke", "/restore"))] == []
    assert len(emulator.token_requests()) <= 3  # one per session's connector at most, not one per call
