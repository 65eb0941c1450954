"""What each restore kind observes and does: restore the membership (API, or a person), rejoin the groups.

Rows of ``actions.KINDS`` like every other kind; ``restore_plan`` builds the actions. Each act looks
first, so a second apply is ``ok``, and drift found at apply time (the member removed meanwhile, a
group deleted) is ``skipped`` with the reason, never an error. Groups gained meanwhile stay: the
recorded ones are added to the list as it is now.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from offboard.spi import FatalError, NotFoundError, Outcome

from . import observe
from .console import REVOKE_SINCE
from .errors import RefusedError, RouteMissing
from .observe import REVOKED

if TYPE_CHECKING:
    from .actions import Bitwarden

Params = Mapping[str, Any]
REINVITE = "invite them again in the Admin Console (Members, Invite member) and give back their groups and collections"


def active(bw: Bitwarden, p: Params) -> bool:
    found = observe.member(bw.api, p["member"])
    return found is not None and found.get("status") != REVOKED


def _no_restore(label: str) -> FatalError:
    return FatalError(f"this Bitwarden server has no restore endpoint (it is older than {REVOKE_SINCE}): restore "
                      f"{label} in the Admin Console (Members, the member's menu, Restore access)")


def restore(bw: Bitwarden, p: Params) -> Outcome:
    """``POST restore``: Bitwarden puts the member back at the status they had before the revocation."""
    label = p["label"]
    found = observe.member(bw.api, p["member"])
    if found is None:
        return Outcome.skipped(f"{label} is no longer a member of the organization: {REINVITE}")
    if found.get("status") != REVOKED:
        return Outcome.ok("already active", {"status": observe.status_name(found.get("status"))})
    try:
        bw.api.write("POST", f"/public/members/{p['member']}/restore", f"restore {label}")
    except RefusedError as exc:
        if exc.message != "Already active.":
            raise
    except NotFoundError:
        if observe.member(bw.api, p["member"]) is None:
            return Outcome.skipped(f"{label} is no longer a member of the organization: {REINVITE}")
        raise _no_restore(label) from None
    except RouteMissing:
        raise _no_restore(label) from None
    now = observe.member(bw.api, p["member"]) or {}
    status = observe.status_name(now.get("status"))
    return Outcome.changed(f"restored: {status} again, as before the revocation", {"status": status})


def restore_by_hand(bw: Bitwarden, p: Params) -> Outcome:
    if active(bw, p):
        return Outcome.ok("restored in the Admin Console (Bitwarden shows the member active)", {"status": "active"})
    return Outcome.manual(f"waiting for an admin to restore {p['label']} at {bw.console().members}")


def _wanted(bw: Bitwarden, p: Params) -> tuple[list[str] | None, list[str]]:
    """(the member's groups now, or None when no member; the recorded groups that still exist)."""
    now = observe.group_ids(bw.api, p["member"])
    if now is None:
        return None, []
    existing = observe.groups(bw.api)
    return now, [g for g in p["groups"] if g in existing]


def in_groups(bw: Bitwarden, p: Params) -> bool:
    now, wanted = _wanted(bw, p)
    return now is not None and set(wanted) <= set(now)


def rejoin_groups(bw: Bitwarden, p: Params) -> Outcome:
    """Add the recorded groups to the member's list as it is now (``PUT group-ids`` replaces the whole list)."""
    label = p["label"]
    now, wanted = _wanted(bw, p)
    if now is None:
        return Outcome.skipped(f"{label} is no longer a member of the organization: {REINVITE}")
    missing = [g for g in wanted if g not in now]
    gone = len(p["groups"]) - len(wanted)
    note = f"; {gone} of the recorded groups no longer exist" if gone else ""
    if not missing:
        return Outcome.ok(f"already in their groups{note}", {"in_groups": len(wanted)})
    try:
        bw.api.write("PUT", f"/public/members/{p['member']}/group-ids", f"put {label} back in their groups",
                     {"groupIds": [*now, *missing]})
    except NotFoundError:
        return Outcome.skipped(f"{label} is no longer a member of the organization: {REINVITE}")
    names = p.get("names") or {}
    listed = ", ".join(str(names.get(g, g)) for g in missing)
    return Outcome.changed(f"added back to {len(missing)} group{'s' if len(missing) != 1 else ''}: {listed}{note}",
                           {"in_groups": len(wanted)})
