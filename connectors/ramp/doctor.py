"""``offboard doctor`` for Ramp: can offboard get a token, with every scope, and read users and cards?

Ramp issues a client-credentials token even when the app lacks some of the scopes asked for
(the missing ones are then refused at each request, 403 DEVELOPER_7100), and its answer may
or may not list the scopes granted. So the doctor reads what it can without changing
anything: the token's ``scope`` when Ramp gives it, a page of users (users:read) and of cards
(cards:read), and the status of a task that does not exist, once for users and once for cards,
which Ramp guards with users:write and cards:write: a refusal there names a missing write scope,
a "not found" means the scope is there.
"""

from __future__ import annotations

from offboard.spi import AuthError, ConnectorError, NotFoundError

from . import errors, observe
from .api import RampApi

NO_TASK = "00000000-0000-4000-8000-000000000000"
READS = (("users:read", observe.USERS, "list users"), ("cards:read", observe.CARDS, "list cards"))
WRITE_PROBES = (("users:write", "/developer/v1/users/deferred/status"), ("cards:write", "/developer/v1/cards/deferred/status"))


def problems(api: RampApi) -> list[str]:
    """Problems as sentences, each with its fix; empty when the API client can do the whole job."""
    try:
        token, _ = api.token()
    except ConnectorError as exc:
        return [str(exc)]
    found: list[str] = []
    missing: list[str] = []
    if token.scopes is not None:
        missing = [s for s in errors.SCOPES if s not in token.scopes]
    for scope, path, what in READS:
        if scope in missing:
            continue
        try:
            api.read(path, what=what, scope=scope, params={"page_size": 2})
        except AuthError as exc:
            _refused(scope, exc, missing, found)
        except ConnectorError as exc:
            found.append(str(exc))
    for scope, path in WRITE_PROBES:
        if scope in missing:
            continue
        try:
            api.read(f"{path}/{NO_TASK}", what=f"check the scope {scope}", scope=scope)
        except NotFoundError:
            pass  # allowed to ask: the scope is there
        except AuthError as exc:
            _refused(scope, exc, missing, found)
        except ConnectorError:
            pass  # another answer says nothing about the scope
    if missing:
        ordered = " ".join(s for s in errors.SCOPES if s in missing)
        found.insert(0, f"offboard's Ramp API client lacks the scopes {ordered}: {errors.scope_hint(ordered)}")
    return found


def _refused(scope: str, exc: AuthError, missing: list[str], found: list[str]) -> None:
    """A missing scope joins the one sentence naming them all; any other refusal is its own sentence."""
    if "lacks the scope" in str(exc):
        missing.append(scope)
    else:
        found.append(str(exc))
