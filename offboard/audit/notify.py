"""``audit --notify``: the summary posted for people, and the connector that posts it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from offboard.audit.result import AuditResult
from offboard.audit.situations import Situation
from offboard.errors import ConfigurationError
from offboard.spi import Capability, Connector
from offboard.text import for_slack

# Situations whose line may name the member; the others are counted per system, naming no account.
NAMED = frozenset({Situation.REVOKED_BUT_ACTIVE, Situation.LEFTOVER_ACCESS, Situation.UNCONFIRMED_MANUAL,
                   Situation.SUSPENSION_ENDED, Situation.STALE, Situation.ROSTER_OUTDATED,
                   Situation.EMERGENCY_RUN})
# Of those, the situations of a member rather than of accounts: the line names the member alone.
MEMBER_ONLY = frozenset({Situation.SUSPENSION_ENDED, Situation.ROSTER_OUTDATED, Situation.EMERGENCY_RUN})
NO_NOTIFIER = ("--notify needs a connector that can post notifications (such as slack), but none is configured: "
               "add [connectors.slack], or drop --notify")


def notification(result: AuditResult, org_name: str, seq: int | None) -> str:
    """A short summary for a chat channel: situations, counts and member names, nothing more personal.

    No email addresses, account names or details: orphans and disputed accounts are counted per system.
    Every name in it is escaped for Slack (``for_slack``): a member named ``<!channel>`` pings nobody.
    """
    where = f" (report {seq:06d})" if seq else ""
    count = len(result.findings)
    exceptions = f", {len(result.exceptions)} exception(s)" if result.exceptions else ""
    head = f"{count} finding(s){exceptions}" if count else f"clean{exceptions}"
    lines = [f"offboard audit of {for_slack(org_name)}: {head}{where}."]
    for situation in Situation:
        found = [f for f in result.findings if f.situation is situation]
        if not found:
            continue
        if situation in MEMBER_ONLY:
            who = "; ".join(dict.fromkeys(for_slack(f.name or f.member or "?") for f in found))
        elif situation in NAMED:
            systems: dict[str, list[str]] = {}  # member name -> their systems, in order of the findings
            for f in found:
                named = systems.setdefault(f.name or f.member or "?", [])
                if f.system not in named:
                    named.append(f.system)
            who = "; ".join(f"{for_slack(name)} ({', '.join(map(for_slack, s))})" for name, s in systems.items())
        else:
            per = Counter(f.system for f in found)
            who = f"{len(found)} account(s) (" + ", ".join(f"{for_slack(s)} {n}" for s, n in sorted(per.items())) + ")"
        lines.append(f"{situation.value} ({situation.severity.value}): {who}")
    failed = [for_slack(s.name) for s in result.systems if s.errors]
    if failed:
        lines.append(f"could not be read: {', '.join(failed)}")
    return "\n".join(lines)


def find_notifier(connectors: Mapping[str, Connector]) -> Connector:
    """The configured connector that posts ``audit --notify``'s summary: one with ``Capability.NOTIFY``.

    When several can, the first by its ``[connectors.NAME]`` in alphabetical order. None:
    ``ConfigurationError`` saying what to configure.
    """
    for name in sorted(connectors):
        if Capability.NOTIFY in type(connectors[name]).capabilities:
            return connectors[name]
    raise ConfigurationError(NO_NOTIFIER)
