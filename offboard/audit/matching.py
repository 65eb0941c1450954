"""Accounts of one system to roster members: the roster's column for the system, else the member's emails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from offboard.spi import ROSTER_KEYS, Account, Member


class Matcher:
    """Accounts of one system to roster members.

    The roster's identity override for the system (its column) matches the account's id, its
    label or one of its ``roster_keys`` (an Open Collective slug); failing that, the member's org
    or personal email matches the account's label or its ``email`` attribute. Case does not matter.
    """

    def __init__(self, members: Iterable[Member], system: str) -> None:
        self.by_identity: dict[str, list[Member]] = {}
        self.by_email: dict[str, list[Member]] = {}
        for member in members:
            if identity := member.identities.get(system, "").strip().lower():
                self.by_identity.setdefault(identity, []).append(member)
            for email in {member.email.strip().lower(), member.personal_email.strip().lower()} - {""}:
                self.by_email.setdefault(email, []).append(member)

    def match(self, account: Account) -> list[Member]:
        other = account.attributes.get(ROSTER_KEYS) or []
        keys = {account.id.lower(), account.label.lower(), *(str(k).lower() for k in other if k)}
        found = self._lookup(self.by_identity, keys)
        if found:
            return found
        email = str(account.attributes.get("email") or "")
        return self._lookup(self.by_email, {account.label.lower(), email.lower()} - {""})

    @staticmethod
    def _lookup(index: Mapping[str, list[Member]], keys: set[str]) -> list[Member]:
        found: dict[str, Member] = {}
        for key in sorted(keys):
            for member in index.get(key, ()):
                found.setdefault(member.id, member)
        return list(found.values())
