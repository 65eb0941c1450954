"""Time to cut: from starting ``offboard expel MEMBER --yes`` to the member's access ended, against physics.

For members of 10, 60 and 300 Google groups (each also with 8 OAuth tokens, 3 app passwords,
2 mail delegates, forwarding, a phone and a licence), with the README's sample Google config
(``transfer_to``, ``org_unit``, ``license_product``/``license_sku``) and a signing key, against
the Google emulator in a process of its own, each request delayed by ``--latency``. Each run is
a new process started and timed from here (``cut_org``): the times are the user's, from the
process start to the last cut outcome recorded (time to cut), to the last outcome but the
Drive transfer's (time to done), to the transfer's (Google completes it asynchronously; the
engine polls it every 5 s) and to the process end (the signed report written). Figures are the
median of ``--runs`` runs; then ``offboard expel`` with ``--together`` (5) such members at once,
whose times are the last member's. The comparison is the cut-first script of separate admin
commands, one call at a time (``gam_style``).

The physical chain is computed from each plan: the round trips that must follow one another
whatever the concurrency (``chain``). The services' documented quotas are checked apart, against
what the run sent. Nothing is asserted: these are figures, and the machine's other work shows in them.

    .venv/bin/python benchmarks/time_to_cut.py [--latency 0.08] [--runs 3] [--groups 10,60,300] [--together 5]
"""

from __future__ import annotations

import argparse
import itertools
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cut_org import BIN, TOKEN_PATH, Org, Run
from offboard.connectors.google_workspace.actions import KINDS

# The services' documented quotas (Google's "Limits and quotas" pages of each API).
ADMIN_PER_MINUTE = 2400  # Admin SDK (Directory, Data Transfer): queries a minute per user (the admin)
GMAIL_UNITS_PER_MINUTE = 15000  # Gmail: quota units a minute per user (the mailbox owner); a read costs 1
GMAIL_MOST_UNITS = 100  # the costliest Gmail settings call the connector makes counts at most this
LICENSING_PER_SECOND = 1  # Enterprise License Manager: queries a second
GROUPS_PAGE = 200  # groups.list's largest page


def chain(actions: Sequence[Mapping[str, Any]], account: Mapping[str, Any]) -> tuple[int, int, int, list[str]]:
    """(discovery, to cut, to done) round trips that must follow one another, and why discovery takes its last.

    Discovery: the token grants (the admin's and the mailbox owner's, at once); then ``users.get``
    with every list Google reads by email; then what needs an answer: the memberships (one batch
    request after ``groups.list``, whose pages of 200 follow one another), role names after the
    assignments, the transfers after both users' ids, Gmail's settings after ``users.get`` (Google
    refuses a suspended user's mailbox).
    Apply: a write per action planned moments ago, two round trips for a kind that must look first
    (a phone's status), each after what it ``depends_on`` (the suspension after every other cut
    write; licence and org unit after the cut). No concurrency cap: that is a choice, not physics.
    """
    kinds = {a["kind"] for a in actions}
    pages = math.ceil(sum(a["kind"] == "group" for a in actions) / GROUPS_PAGE)
    second = [why for why, present in (
        ("memberships (1 batch) after groups.list" + (f" and its {pages - 1} next page(s)" if pages > 1 else ""),
         "group" in kinds),
        ("role names after the assignments", "admin_role" in kinds),
        ("transfers after both users' ids", "transfer" in kinds),
        ("Gmail settings after users.get", not account["attributes"].get("suspended"))) if present]
    discovery = 2 + (1 if second else 0) + max(0, pages - 1)
    by_id = {a["id"]: a for a in actions}
    ends: dict[str, int] = {}

    def end(action: Mapping[str, Any]) -> int:
        if action["id"] not in ends:
            after = max((end(by_id[d]) for d in action["depends_on"] if d in by_id), default=0)
            ends[action["id"]] = after + (1 if KINDS[action["kind"]].write_first else 2)
        return ends[action["id"]]

    cut = max((end(a) for a in actions if a["phase"] == "cut"), default=0)
    done = max((end(a) for a in actions if a["kind"] != "transfer"), default=0)
    return discovery, discovery + cut, discovery + done, second


def median(runs: Sequence[Run], value: Callable[[Run], float | None]) -> float:
    return statistics.median(v for v in (value(r) for r in runs) if v is not None)


def counts(run: Run) -> dict[str, Any]:
    """What the run sent: calls per API (a batch's calls each count, as Google's quotas count them)."""
    calls = [r for r in run.log if r.path != TOKEN_PATH and not r.path.startswith("/batch/")]
    licensing = sorted(r.at for r in calls if r.path.startswith("/apps/licensing/"))
    return {
        "calls": len(calls), "batches": sum(r.path.startswith("/batch/") for r in run.log),
        "grants": sum(r.path == TOKEN_PATH for r in run.log), "429": sum(r.status == 429 for r in run.log),
        "admin": sum(r.path.startswith("/admin/") for r in calls),
        "gmail": sum(r.path.startswith("/gmail/") for r in calls),
        "gmail_writes": sum(r.path.startswith("/gmail/") and r.method != "GET" for r in calls),
        "licensing": len(licensing),
        "licensing_gap": min((b - a for a, b in itertools.pairwise(licensing)), default=None),
    }


def measure(root: Path, latency: float, groups: int, runs: int, together: int) -> dict[str, Any]:
    org = Org(root, latency, groups, members=runs + 2 + together * runs)
    try:
        org.expel()  # warm-up, not counted: the disk cache holds the libraries afterwards
        measured = [org.expel() for _ in range(runs)]
        several = [org.expel(together) for _ in range(runs)] if together > 1 else []
        gam = org.gam_style()
    finally:
        org.stop()
    first = measured[0]
    discovery, to_cut, to_done, second = chain(first.actions, first.account)
    sent = median(measured, lambda r: r.first_request) - latency  # the first request went out a round trip before
    return {"groups": groups, "runs": measured, "gam": gam, "chain": (discovery, to_cut, to_done), "second": second,
            "first": sent, "plan": median(measured, lambda r: r.plan), "cut": median(measured, lambda r: r.cut),
            "done": median(measured, lambda r: r.done), "transfer": median(measured, lambda r: r.transfer),
            "exit": median(measured, lambda r: r.exit), "counts": counts(first), "gam_counts": counts(gam),
            "actions": len(first.actions), "states": first.states, "together": together,
            "several_cut": median(several, lambda r: r.cut) if several else None,
            "several_done": median(several, lambda r: r.done) if several else None}


def table(results: list[dict[str, Any]], latency: float) -> list[str]:
    ms = f"{latency * 1000:.0f} ms"
    rows = [f"| at {ms} a request, from the process start | " + " | ".join(f"{r['groups']} groups" for r in results)
            + " |", "|---" * (len(results) + 1) + "|"]

    def row(label: str, cell: Callable[[dict[str, Any]], str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cell(r) for r in results) + " |")

    def s(x: float) -> str:
        return f"{x:.2f} s"

    row("physical chain to cut (round trips)", lambda r: f"{s(r['chain'][1] * latency)} ({r['chain'][1]})")
    row("first request sent (Python, imports, config, roster, journal)", lambda r: s(r["first"]))
    row("plan made (discovery read)", lambda r: s(r["plan"]))
    row("**time to cut**", lambda r: f"**{s(r['cut'])}** ({r['cut'] / (r['chain'][1] * latency):.1f}x)")
    row("time to cut after the first request", lambda r: f"{s(r['cut'] - r['first'])} "
        f"({(r['cut'] - r['first']) / (r['chain'][1] * latency):.2f}x)")
    row("time to done, the transfer apart (chain)", lambda r: f"{s(r['done'])} ({s(r['chain'][2] * latency)})")
    row("transfer completed (Google: asynchronous, polled every 5 s)", lambda r: s(r["transfer"]))
    row("signed report (the process ends)", lambda r: s(r["exit"]))
    if results[0]["several_cut"] is not None:
        n = results[0]["together"]
        row(f"**{n} members together** (`offboard expel` with {n} members): to cut / to done",
            lambda r: f"**{s(r['several_cut'])}** ({r['several_cut'] / r['cut']:.2f}x one member) / {s(r['several_done'])}")
    row("cut-first script, one call at a time: to cut / to done", lambda r: f"{s(r['gam'].cut)} / {s(r['gam'].done)}")
    row("speed-up to cut / to done", lambda r: f"{r['gam'].cut / r['cut']:.1f}x / {r['gam'].done / r['done']:.1f}x")
    row("calls (as quotas count them) / batch requests carrying some / token grants",
        lambda r: f"{r['counts']['calls']} / {r['counts']['batches']} / {r['counts']['grants']}")
    row("the script's calls / token grants", lambda r: f"{r['gam_counts']['calls']} / {r['gam_counts']['grants']}")
    return rows


def quotas(r: dict[str, Any]) -> str:
    c = r["counts"]
    gap = f", {c['licensing_gap']:.2f} s apart" if c["licensing_gap"] is not None else ""
    units = (c["gmail"] - c["gmail_writes"]) + c["gmail_writes"] * GMAIL_MOST_UNITS
    return (f"  {r['groups']} groups: Admin SDK {c['admin']} calls of {ADMIN_PER_MINUTE:,} a minute per user; "
            f"Gmail {c['gmail']} calls, at most {units} units of {GMAIL_UNITS_PER_MINUTE:,} a minute per user; "
            f"Licensing {c['licensing']} calls at {LICENSING_PER_SECOND} a second{gap}; answered 429: {c['429']}")


def startup(runs: int = 5) -> tuple[float, float]:
    def best(cmd: list[str]) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        return min(times)

    return best([sys.executable, "-c", "pass"]), best([str(BIN / "offboard"), "--help"])


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.08, help="seconds added to every request (default 0.08)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per size, the median shown (default 3)")
    parser.add_argument("--groups", default="10,60,300", help="groups per member, comma-separated")
    parser.add_argument("--together", type=int, default=5, help="members expelled by one command (default 5; 1: not)")
    args = parser.parse_args()
    latency = args.latency
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(Path(tmp) / f"g{n}", latency, n, args.runs, args.together)
                   for n in map(int, args.groups.split(","))]
    print(f"time_to_cut: {latency * 1000:.0f} ms a request; a member with N groups, 8 OAuth tokens, 3 app passwords, "
          "2 mail delegates, forwarding, a phone and a licence; the README's sample Google config (transfer_to, "
          f"org_unit, licence) and a signing key; median of {args.runs} runs, each a new `offboard expel` process")
    for r in results:
        print(f"  {r['groups']} groups: {r['actions']} actions, outcomes {dict(sorted(r['states'].items()))}; "
              f"discovery {r['chain'][0]} round trips: token grants, users.get with the lists, then "
              f"{'; '.join(r['second']) or 'nothing'}")
    print()
    print("\n".join(table(results, latency)))
    print()
    print("documented quotas against one run (each a minute or less, so its calls are its peak per minute):")
    for r in results:
        print(quotas(r))
    python, cli = startup()
    print(f"CLI start-up (best of 5): offboard --help {cli * 1000:.0f} ms, python -c pass {python * 1000:.0f} ms")


if __name__ == "__main__":
    main()
