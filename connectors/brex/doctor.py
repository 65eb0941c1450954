"""``offboard doctor`` for Brex: can the token do the job, before a run needs it?

Brex shows no token's scopes through the API (user tokens are opaque), so each needed area is tried
with a read: ``GET /v2/users/me`` (valid token, ``users``) and one card of that user (``cards``).
Whether the token may also write (``users``, ``cards`` rather than their ``.readonly`` forms) cannot be
seen without writing, which the doctor never does: the README's setup steps say which to choose.
"""

from __future__ import annotations

from offboard.spi import AuthError, ConnectorError

from . import observe
from .api import BrexApi

SCOPES = ("users", "cards")  # users: read and suspend users; cards: list, lock, unlock, terminate cards


def problems(api: BrexApi) -> list[str]:
    """Problems as sentences, each with its fix; empty when the token works and reaches users and cards."""
    try:
        found = observe.me(api)
    except ConnectorError as exc:
        return [str(exc)]
    found_problems: list[str] = []
    name = observe.full_name(found) or str(found.get("email") or found.get("id"))
    status = str(found.get("status") or "")
    if status != "ACTIVE":
        found_problems.append(f"the token belongs to {name}, whose Brex account is {status or 'of unknown status'}: "
                              "create the token as an active account admin or card admin")
    try:
        api.get("/v2/cards", "list cards (a check of the cards scope)", user_id=found.get("id"), limit=1)
    except AuthError as exc:
        found_problems.append(str(exc))
    except ConnectorError as exc:
        found_problems.append(f"the cards could not be read: {exc}")
    return found_problems
