"""The audit at scale: N accounts per system, against the Google and Slack emulators over real HTTP.

    .venv/bin/python benchmarks/audit_scale.py            # 10,000 accounts per system
    .venv/bin/python benchmarks/audit_scale.py --accounts 2000

The emulators run in a child process, so that the memory figures are the audit's own (the
emulated directories of 10,000 users stay out of them). ``operations.audit`` runs end to end, as
``offboard audit --unsigned`` does (a config and a roster written to a temporary directory):
the real connectors (google-api-python-client, slack-sdk), streamed inventories, reconciliation
against a roster, discovery of the revoked members' deactivated accounts, and an (unsigned)
report appended to the ledger.

Printed: accounts, API calls (from the emulators' request logs), pages, wall time and peak
memory. Inventory calls and pages are counted apart from discovery calls, which are made only
for revoked members whose account is already deactivated. Nothing is asserted: these are figures.

The roster: every account but the orphans belongs to a member; the first members are expelled
with active accounts, the next expelled with deactivated accounts still in a group, then some
former members with active accounts. The emulators do not meter, and the session is opened
unpaced: the figures are the tool's own work. Real Slack's tier-2 limit on users.list would add
the wait on the last line, which ``offboard audit`` paces for.
"""

from __future__ import annotations

import argparse
import math
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from emulator_process import EmulatorProcess, Logged

from offboard import operations
from offboard.apply.retry import RetryPolicy
from offboard.audit import stream_inventory

DOMAIN = "example.org"
EXPELLED_ACTIVE, EXPELLED_DEACTIVATED, FORMER_ACTIVE, ORPHANS = 10, 10, 10, 20
GOOGLE_PAGE_PATH = "/admin/directory/v1/users"
SLACK_PAGE_PATH = "/api/users.list"


def email(i: int) -> str:
    return f"user{i:05d}@{DOMAIN}"


def status(i: int) -> str:
    if i < EXPELLED_ACTIVE + EXPELLED_DEACTIVATED:
        return "expelled"
    return "former" if i < EXPELLED_ACTIVE + EXPELLED_DEACTIVATED + FORMER_ACTIVE else "active"


def deactivated(i: int) -> bool:
    return EXPELLED_ACTIVE <= i < EXPELLED_ACTIVE + EXPELLED_DEACTIVATED


# ---------------------------------------------------------------- the emulators' process


def build_emulators(workdir: str, accounts: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """In the emulators' process (see emulator_process): both systems seeded with ``accounts`` users, started."""
    from offboard.connectors.google_workspace.emulator import seeded_emulator
    from offboard.connectors.slack.emulator import SlackEmulator

    started = time.perf_counter()
    google = seeded_emulator(DOMAIN)  # adds the admin, an archive account, an old intern and a bot
    slack = SlackEmulator(plan="business+", domain="example", enforce_rate_limits=False,
                          admin_email=f"slack-admin@{DOMAIN}")
    with google.lock, slack.lock:
        ws, sws = google.workspace, slack.workspace
        group = sws.add_usergroup("volunteers", "Volunteers", [])
        for i in range(accounts):
            ws.add_user(email(i), suspended=deactivated(i))
            uid = sws.add_user(f"user{i:05d}", email(i), f"User {i}")
            if deactivated(i):  # expelled, deactivated, but still in a group: leftover access
                ws.add_member(f"members@{DOMAIN}", email(i))
                group.users.append(uid)
                sws.deactivate(uid)
    google.start()
    slack.start()
    google.write_key_file(Path(workdir) / "sa.json")
    return {"google": google, "slack": slack}, {"google": google.url, "slack": slack.url, "token": slack.admin_token,
                                                "seeding": time.perf_counter() - started}


# ---------------------------------------------------------------- the audit's process


def write_org(root: Path, urls: dict[str, Any], accounts: int) -> None:
    """A config and a roster of ``accounts - ORPHANS`` members, as an org would have them."""
    rows = ["id,name,email,personal_email,status"]
    rows += [f"m{i:05d},User {i},{email(i)},,{status(i)}" for i in range(accounts - ORPHANS)]
    (root / "roster.csv").write_text("\n".join(rows) + "\n")
    exceptions = [("google", f"{name}@{DOMAIN}") for name in ("admin", "archive", "bot-noreply")]
    exceptions.append(("slack", f"slack-admin@{DOMAIN}"))
    (root / "offboard.toml").write_text(
        f'[org]\nname = "Bench"\ndomain = "{DOMAIN}"\n\n[roster]\npath = "roster.csv"\n\n[state]\ndir = "state"\n\n'
        f'[connectors.google]\nservice_account_file = "sa.json"\nadmin = "admin@{DOMAIN}"\napi_endpoint = "{urls["google"]}"\n'
        'insecure_endpoint = true\n\n'
        f'[connectors.slack]\nbase_url = "{urls["slack"]}/api/"\ninsecure_endpoint = true\n\n'
        + "".join(f'[[audit.exceptions]]\nsystem = "{system}"\naccount = "{account}"\nkind = "service"\n'
                  f'reason = "benchmark"\n\n' for system, account in exceptions)
    )


def audit(root: Path, environ: dict[str, str]) -> operations.AuditOutcome:
    """``offboard audit --unsigned``, as the nightly timer runs it, without the services' pacing (see the docstring)."""
    with operations.Session.open(str(root / "offboard.toml"), environ, paced=False) as session:
        return operations.audit(session, operations.AuditRequest(unsigned=True))


def figures(log: list[Logged]) -> dict[str, dict[str, Any]]:
    google = [r for r in log if r.system == "google"]
    slack = [r for r in log if r.system == "slack"]
    google_pages = [r for r in google if r.method == "GET" and r.path == GOOGLE_PAGE_PATH]
    slack_pages = [r for r in slack if r.path == SLACK_PAGE_PATH]
    google_size = int(google_pages[0].query["maxResults"][0]) if google_pages else 0
    slack_size = int(parse_qs(slack_pages[0].body.decode())["limit"][0]) if slack_pages else 0  # posted as a form
    tokens = [r for r in google if r.path == "/token"]
    return {
        "google": {"inventory": len(google_pages), "page_size": google_size, "grants": len(tokens),
                   "discover": len(google) - len(google_pages) - len(tokens)},
        "slack": {"inventory": len(slack_pages), "page_size": slack_size, "grants": 0,
                  "discover": len(slack) - len(slack_pages)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=10_000, help="user accounts to seed in each system")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="offboard-audit-bench-"))
    emulators = EmulatorProcess(build_emulators, workdir, accounts=args.accounts)
    urls = emulators.info
    environ = {"SLACK_ADMIN_TOKEN": urls["token"], "OFFBOARD_OPERATOR": "bench"}
    write_org(workdir, urls, args.accounts)
    members = args.accounts - ORPHANS
    try:
        # Pass 1, untraced: wall time and API calls.
        emulators.clear()
        started = time.perf_counter()
        outcome = audit(workdir, environ)
        wall = time.perf_counter() - started
        result, files = outcome.result, outcome.report
        calls = figures(emulators.log())

        # Pass 2, traced: the audit's peak memory (tracemalloc slows Python down, so it is not timed).
        tracemalloc.start()
        audit(workdir, environ)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        tracemalloc.start()
        with operations.Session.open(str(workdir / "offboard.toml"), environ, paced=False) as session:
            roster = session.roster
            roster_bytes, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del roster
            # For comparison: what holding one inventory whole (list(inventory())) would take.
            google = session.configured_connectors()["google"]
            tracemalloc.start()
            whole = list(stream_inventory(google, RetryPolicy()))
            held_bytes, _ = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            del whole
    finally:
        emulators.stop()

    print(f"offboard audit at scale: {args.accounts:,} seeded accounts per system; emulators in another process, "
          f"real HTTP on 127.0.0.1 (seeding took {urls['seeding']:.1f} s)")
    print(f"roster: {members:,} members; ledger: {result.reports_read} reports before the audit")
    print()
    print(f"{'system':<8} {'accounts':>9} {'pages':>6} {'page size':>10} {'inventory calls':>16} "
          f"{'discover calls':>15} {'token grants':>13}")
    for system in result.systems:
        c = calls[system.name]
        pages = math.ceil(system.accounts / c["page_size"]) if c["page_size"] else 0
        print(f"{system.name:<8} {system.accounts:>9,} {pages:>6} {c['page_size']:>10} {c['inventory']:>16} "
              f"{c['discover']:>15} {c['grants']:>13}")
    print()
    print("discover calls: read-only discovery of "
          + ", ".join(f"{s.discovered} deactivated accounts of revoked members in {s.name}" for s in result.systems))
    print(f"findings: {len(result.findings):,} ({', '.join(f'{n} {s}' for s, n in result.counts().items())}); "
          f"exceptions: {len(result.exceptions)}; status {result.status}; report {files.json_path.name}")
    print(f"wall time: {wall:.2f} s (both systems at once, discovery and the report included)")
    print(f"peak memory of the audit (tracemalloc, this process): {peak / 2**20:.1f} MiB, of which the roster's "
          f"{members:,} members alone take {roster_bytes / 2**20:.1f} MiB")
    print(f"for comparison, Google's inventory held whole in a list would take {held_bytes / 2**20:.1f} MiB "
          "(the audit streams it instead)")
    print(f"max RSS of this process (Python, both client libraries, the audit): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    slack_pages = calls["slack"]["inventory"]
    paced = max(0, slack_pages - 20) * 3  # tier 2: 20 a minute, a burst of 20
    print(f"real Slack paces users.list (tier 2, 20 a minute): {slack_pages} pages would add about {paced} s there")


if __name__ == "__main__":
    main()
