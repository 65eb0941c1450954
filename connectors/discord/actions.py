"""The one table of what each kind of Discord action observes (``check``) and does (``apply``).

A new kind is one row here and its functions in ``acts``, never a branch in ``connector.py``. The
removal kinds come from ``plan``, the restore kinds from ``restore_plan``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.spi.kinds import Kind, KindTable

from . import acts
from .api import DiscordApi

Params = Mapping[str, Any]


KINDS: dict[str, Kind[DiscordApi]] = {
    # An expulsion: one request ends access; Discord's answer tells "already so" apart, so no look first
    # when it was planned moments ago (banning twice is harmless; a kick of a non-member answers 10007).
    "ban": Kind(acts.banned, acts.ban, lambda api, p: acts.ban(api, p, look_first=False)),
    "kick": Kind(acts.gone, acts.kick, lambda api, p: acts.kick(api, p, look_first=False)),
    # A suspension: the member stays, without their roles, optionally timed out or with a suspended role.
    "role": Kind(acts.role_gone, acts.take_role, lambda api, p: acts.take_role(api, p, look_first=False)),
    "timeout": Kind(acts.timed_out, acts.time_out, lambda api, p: acts.time_out(api, p, look_first=False)),
    "suspended-role": Kind(acts.holds_suspended_role, acts.give_suspended_role,
                           lambda api, p: acts.give_suspended_role(api, p, look_first=False)),
    # A reinstatement: unban, the person rejoins by invite (a manual step that closes itself), roles back.
    "unban": Kind(acts.unbanned, acts.unban),
    "rejoin": Kind(acts.rejoined, acts.rejoin),
    "role-back": Kind(acts.has_role, acts.give_role),
    "timeout-lift": Kind(acts.timeout_back, acts.lift_timeout),
    "suspended-role-off": Kind(acts.role_gone, acts.take_role),
}


TABLE = KindTable("Discord", KINDS)  # the connector's apply, apply_planned and check
