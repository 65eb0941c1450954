"""The standard connector suite over the emulator, for three teams a member may be on.

Reinstatement invites; the harness accepts the invitation in the emulator, as the person would, and
the self-closing step then sees the role again. What cannot be invited back (a second role: Open
Collective keeps one pending invitation per person and collective) is listed as lost.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from offboard.spi import Action
from offboard.testing.contract import ConnectorContract, Harness
from tests.connectors.opencollective.conftest import ALICE, ALICE_SLUG, Org, lost_parts, state

TEAMS = {
    "admin, core contributor and an invitation": (("ADMIN", "MEMBER"), "COMMUNITY_MANAGER"),
    "accountant": (("ACCOUNTANT",), None),
    "an invitation only": ((), "ADMIN"),
}


class TestOpenCollectiveContract(ConnectorContract):
    @pytest.fixture(params=sorted(TEAMS))
    def harness(self, request: pytest.FixtureRequest, make_org: Callable[..., Org]) -> Harness:
        org = make_org()
        roles, invitation = TEAMS[request.param]
        org.give(*roles, description="Volunteer")
        if invitation:
            org.invite(invitation)

        def accepts(action: Action) -> None:  # what Alice does with the invitation Open Collective emailed her
            assert action.kind == "accept-manual"
            org.emulator.accept_invitation(ALICE_SLUG)

        return Harness(
            connector=org.connect(),
            member=ALICE,
            writes=lambda: len(org.emulator.writes()),
            secrets=[org.token],
            complete_manual=accepts,
            state=lambda: state(org.emulator),
            lost_parts=lost_parts,
        )
