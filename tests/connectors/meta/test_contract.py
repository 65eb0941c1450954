"""The standard connector suite over the emulator, as a suspension: the contract's run is then put back.

The contract discovers with no options; the expel playbook's default (``remove_from_business``)
would end in a removal from the portfolio, after which the member has no account to resolve and
nothing can be put back. So the harness's connector takes the suspend playbook's option, as
``offboard suspend`` passes it; the expulsion is tested in test_connector and test_restore.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import pytest
from offboard.connectors.meta import MetaConnector
from offboard.connectors.meta.emulator import MetaEmulator

from offboard.spi import Account, Action, NotRestorable
from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.meta.conftest import ALICE, connect, lost_parts, seed, state


class EmulatorSecrets(Sequence[str]):
    """Read at assertion time: every token the emulator issued, the Page tokens made during the run included."""

    def __init__(self, emulator: MetaEmulator) -> None:
        self.emulator = emulator

    def __getitem__(self, index: Any) -> Any:
        return self.emulator.secrets()[index]

    def __len__(self) -> int:
        return len(self.emulator.secrets())


class SuspendingMeta(MetaConnector):
    """The connector as the suspend playbook's step drives it: ``remove_from_business: false``."""

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        return super().discover(account, {"remove_from_business": False, **(options or {})})


def suspending(emulator: MetaEmulator) -> SuspendingMeta:
    plain = connect(emulator)
    return SuspendingMeta(dict(plain.config), plain.context)


class TestMetaContract(ConnectorContract):
    @pytest.fixture(params=["tasks-only", "with-outsiders"])
    def harness(self, request: pytest.FixtureRequest, make_emulator: Callable[..., MetaEmulator]) -> Harness:
        emulator = make_emulator()
        org = seed(emulator)
        outsiders = request.param == "with-outsiders"
        if outsiders:  # a profile outside the portfolio under Alice's name: a step a person does
            with emulator.lock:
                emulator.business.add_outsider(org.main, ALICE.name, ["MODERATE"])

        def page_admin(action: Action) -> None:
            """What a Page admin does in Page settings > Page access: removes the person (or the people checked)."""
            people = action.params.get("people") or [action.params["person"]]
            with emulator.lock:
                for person in people:
                    emulator.business.remove_outsider(action.params["page"], person)

        base = lost_parts(org.alice)

        def parts(action: Action, item: NotRestorable) -> Collection[str]:
            if action.kind == "page-access-review":
                return {f"outsider:{action.params['page']}:{x}" for x in action.params["people"]}
            return base(action, item)

        return Harness(connector=suspending(emulator), member=ALICE, writes=lambda: len(emulator.writes()),
                       secrets=EmulatorSecrets(emulator), complete_manual=page_admin if outsiders else None,
                       state=lambda: state(emulator), lost_parts=parts)


def test_the_secrets_checked_are_real(org: Any) -> None:
    """The contract's secret check is only worth something if it holds the Page tokens the connector was given."""
    connector = connect(org.emulator)
    account = connector.resolve(ALICE)
    assert account is not None
    connector.discover(account)
    secrets = org.emulator.secrets()
    assert org.emulator.token in secrets and len(secrets) >= 3  # the system user's, and one per Page
    assert all(r.headers.get("authorization", "").startswith("Bearer ") for r in org.emulator.log)
    assert not any("access_token" in r.query for r in org.emulator.log), "a token was sent in a URL"
