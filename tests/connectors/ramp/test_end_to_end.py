"""The whole job through the operations the CLI runs, on the demo org with Ramp in it: expel with its cards
terminated, then suspend another member and reinstate them, Ramp's state for them coming back as it was.

Ramp is registered in-process (as its entry point will), and the org's playbooks hold only a Ramp step. The card
tasks answer IN_PROGRESS to their first status read, so the engine's waits are there, recorded and never slept.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from offboard.connectors.ramp.emulator import RampEmulator

from offboard import operations
from offboard.apply.states import RunStatus
from offboard.clock import today
from offboard.operations import ExpelRequest, Session
from offboard.operations.reinstating import ReinstateRequest
from offboard.operations.revoke import SuspendRequest
from offboard.spi import State, registry
from offboard.testing.sandbox import DemoOrg, demo_org

EXPEL = "name: expel\nsteps:\n  - connector: ramp\n    options:\n      terminate_cards: true\n"
SUSPEND = "name: suspend\nsteps:\n  - connector: ramp\n"


@pytest.fixture
def org(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoOrg]:
    monkeypatch.setattr(registry, "REGISTERED", dict(registry.REGISTERED))
    registry.register("ramp", "offboard.connectors.ramp:RampConnector")
    with demo_org(tmp_path / "org") as found:
        (found.root / "playbooks").mkdir()
        (found.root / "playbooks" / "expel.yaml").write_text(EXPEL)
        (found.root / "playbooks" / "suspend.yaml").write_text(SUSPEND)
        ramp = found.sandboxes["ramp"].emulator
        assert isinstance(ramp, RampEmulator)
        ramp.org.task_polls = 1
        yield found


def member_state(ramp: RampEmulator, email: str) -> dict[str, str]:
    with ramp.lock:
        uid = next(u["id"] for u in ramp.org.users.values() if u["email"] == email)
        return {"user": ramp.org.users[uid]["status"],
                **{c["display_name"]: c["state"] for c in ramp.org.cards.values() if c["cardholder_id"] == uid}}


def test_expel_then_suspend_and_reinstate(org: DemoOrg, sleeps: list[float]) -> None:
    ramp = org.sandboxes["ramp"].emulator
    assert isinstance(ramp, RampEmulator)
    environ = {**org.environ, "OFFBOARD_OPERATOR": "test"}
    dan_before = member_state(ramp, "dan@example.org")
    with Session.open(str(org.config_path), environ, paced=False) as session:
        expelled = operations.expel(session, ExpelRequest("m042", yes=True))
        assert expelled.run is not None and expelled.run.status is RunStatus.COMPLETE, expelled.run
        assert member_state(ramp, "bob@example.org") == {"user": "USER_INACTIVE", "Bob's events": "TERMINATED",
                                                         "Travel": "TERMINATED"}
        assert sleeps, "the card tasks were read again after the engine's wait"

        until = (today() + timedelta(days=30)).isoformat()
        suspended = operations.suspend(session, SuspendRequest("m007", until, "probation", yes=True))
        assert suspended.run is not None and suspended.run.status is RunStatus.COMPLETE
        assert member_state(ramp, "dan@example.org") == {"user": "USER_INACTIVE", "Dan's events": "SUSPENDED"}
        rows = session.journal.actions(suspended.run.run.id)
        assert {r.action.kind: r.state for r in rows} == {"deactivate": State.CHANGED, "card-suspend": State.CHANGED}

        reinstated = operations.reinstate(session, ReinstateRequest("m007", yes=True))
        assert reinstated.run is not None and reinstated.run.status is RunStatus.COMPLETE
    assert member_state(ramp, "dan@example.org") == dan_before
    assert [r.status for r in ramp.log if r.status >= 400] == []
