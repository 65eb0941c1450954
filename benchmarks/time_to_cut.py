"""Time to cut: how soon an expelled member can no longer get in, against a lower bound.

Runs the library path of ``offboard expel --yes`` (resolve and discovery, the journal,
the engine) against the Google and Slack emulators, each request delayed by a fixed
latency, for a heavy member: 60 groups, 8 OAuth tokens, 3 app passwords, 2 mail
delegates (Google) and 40 private channels (Slack on plan Pro: no SCIM, so the channels
are kicked one by one and deactivation is a manual step). Then runs the same member one
call at a time, as a script of separate admin commands would, for comparison.

    .venv/bin/python benchmarks/time_to_cut.py [--latency 0.08]

It prints figures and asserts nothing. The bound model is printed term by term below
the figures; see ``bound()`` for how it is computed from the plan.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.google_workspace.emulator import TOKEN_PATH, GoogleEmulator  # noqa: E402
from connectors.slack.emulator import SlackEmulator  # noqa: E402
from connectors.slack.tiers import METHOD_TIERS, PER_MINUTE  # noqa: E402
from offboard.emulation import Faults  # noqa: E402
from offboard.plan import Plan, build_plan  # noqa: E402
from offboard.runs import execute_run, start_run  # noqa: E402
from offboard.spi import Action, Phase  # noqa: E402
from offboard.workspace import Workspace  # noqa: E402

DOMAIN = "example.org"
MEMBER = "m042"
EMAIL = f"bob@{DOMAIN}"
ROSTER = f"id,name,email,personal_email,status\n{MEMBER},Bob Example,{EMAIL},bob@home.test,active\n"
PLAYBOOK = "name: bench\ndescription: Google and Slack, no manual systems\nsteps:\n  - connector: google\n  - connector: slack\n"
SEED = {"groups": 60, "tokens": 8, "asps": 3, "delegates": 2}
PRIVATE_CHANNELS = 40

# Concurrency the bound allows each API (see the module's closing note in README "Performance").
# Neither Google nor Slack documents a limit on requests in flight; both meter requests per
# minute. The bound uses what the connector declares safe (its max_concurrency), so the
# ratio measures the engine and connector, not a choice of thread count.


class Listener:
    def __init__(self, start: float) -> None:
        self.start = start
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {p.value: [] for p in Phase}
        self.states: dict[str, int] = {}

    def started(self, system: str, action: Action) -> None:
        pass

    def finished(self, system: str, action: Action, state: str) -> None:
        with self.lock:
            self.times[action.phase.value].append(time.perf_counter())
            self.states[state] = self.states.get(state, 0) + 1

    def last(self, phase: Phase) -> float | None:
        times = self.times[phase.value]
        return max(times) - self.start if times else None


def serve_emulators(conn: Any, root: str, latency: float) -> None:
    """In a process of its own: the emulators, seeded, until told to stop.

    Their request handling (Google's discovery-document checks, JSON) happens at Google and
    Slack in real life; in the benchmark's own process it would compete with the client for
    the GIL and show up as client time.
    """
    google = GoogleEmulator(DOMAIN, faults=Faults(latency=latency))
    google.add_user(f"admin@{DOMAIN}", given_name="Workspace", family_name="Admin", admin=True)
    google.seed_member(EMAIL, **SEED)
    slack = SlackEmulator(plan="pro", domain="example", faults=Faults(latency=latency))
    slack.seed_member(EMAIL, "Bob Example", private_channels=PRIVATE_CHANNELS)
    google.start()
    slack.start()
    google.write_key_file(Path(root) / "sa.json")
    conn.send({"google": google.url, "slack": slack.url, "slack_token": slack.admin_token})
    while True:
        command = conn.recv()
        if command == "clear":
            google.clear_log()
            slack.clear_log()
            conn.send(None)
        elif command == "log":  # for a timeline when looking into a result
            conn.send(sorted([(r.at, "google", r.method, r.path) for r in google.log]
                             + [(r.at, "slack", r.method, r.path) for r in slack.log]))
        elif command == "counts":
            api = [r for r in google.log if r.path != TOKEN_PATH]
            conn.send({"google": len(api), "slack": len(slack.log), "grants": len(google.log) - len(api)})
        else:
            google.stop()
            slack.stop()
            conn.send(None)
            return


class Org:
    """A sample org on disk whose Google and Slack are emulators in another process."""

    def __init__(self, root: Path, latency: float) -> None:
        root.mkdir(parents=True, exist_ok=True)
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=serve_emulators, args=(child, str(root), latency), daemon=True)
        self.process.start()
        urls = self.conn.recv()
        (root / "roster.csv").write_text(ROSTER)
        (root / "bench.yaml").write_text(PLAYBOOK)
        (root / "offboard.toml").write_text(
            f'[org]\nname = "Bench"\ndomain = "{DOMAIN}"\n\n[roster]\npath = "roster.csv"\n\n[state]\ndir = "state"\n\n'
            f'[connectors.google]\nservice_account_file = "sa.json"\nadmin = "admin@{DOMAIN}"\n'
            f'api_endpoint = "{urls["google"]}"\n\n'
            f'[connectors.slack]\ntoken_env = "SLACK_ADMIN_TOKEN"\nscim = false\nbase_url = "{urls["slack"]}/api/"\n'
        )
        self.ws = Workspace.open(str(root / "offboard.toml"), {"SLACK_ADMIN_TOKEN": urls["slack_token"]})

    def ask(self, command: str) -> Any:
        self.conn.send(command)
        return self.conn.recv()

    def stop(self) -> None:
        self.ask("stop")
        self.process.join(10)


@dataclass
class Measured:
    cut: float
    done: float
    plan: float
    api_requests: dict[str, int]
    token_grants: int
    states: dict[str, int]
    plan_obj: Plan
    concurrency: dict[str, int]


def one_at_a_time(connectors: Mapping[str, object]) -> None:
    """What a script of separate admin commands does: one request at a time, everywhere."""
    for connector in connectors.values():
        connector.max_concurrency = 1  # type: ignore[attr-defined]
        gateway = getattr(connector, "gateway", None)
        if gateway is not None:  # Google reads group memberships a few at a time while discovering
            gateway._readers = ThreadPoolExecutor(1)


def measure(root: Path, latency: float, serial: bool) -> Measured:
    org = Org(root, latency)
    try:
        ws = org.ws
        book = ws.playbook(str(root / "bench.yaml"))
        member = ws.member(MEMBER)
        connectors = ws.connectors_for(book)
        if serial:
            one_at_a_time(connectors)
        concurrency = {s: c.max_concurrency for s, c in connectors.items()}
        org.ask("clear")
        start = time.perf_counter()  # "enter": before resolve and discovery
        if serial:  # systems one after the other, too
            plans = [build_plan("expel", ws.org, member, _only(book, s), connectors, ws.retry) for s in ("google", "slack")]
            plan = plans[0]
            plan.systems = [s for p in plans for s in p.systems]
        else:
            plan = build_plan("expel", ws.org, member, book, connectors, ws.retry)
        planned = time.perf_counter() - start
        listener = Listener(start)
        if serial:
            for system in ("google", "slack"):
                one = Plan(plan.kind, plan.created, plan.org, plan.member, plan.playbook,
                           [s for s in plan.systems if s.system == system])
                execute_run(ws, start_run(ws, one, "bench"), connectors, listener, fresh=True)
        else:
            execute_run(ws, start_run(ws, plan, "bench"), connectors, listener, fresh=True)
        done = time.perf_counter() - start
        cut = listener.last(Phase.CUT) or 0.0
        counts = org.ask("counts")
        for c in connectors.values():
            c.close()
        ws.close()
        return Measured(cut, done, planned, {"google": counts["google"], "slack": counts["slack"]}, counts["grants"],
                        dict(listener.states), plan, concurrency)
    finally:
        org.stop()


def _only(book, system):
    from dataclasses import replace

    return replace(book, steps=tuple(s for s in book.steps if s.system == system))


# ---------------------------------------------------------------- the bound


@dataclass
class Term:
    system: str
    phase: str
    chain: int  # round trips that must follow one another
    calls: int  # requests the phase cannot do without
    concurrency: int
    rate_wait: float  # seconds the per-minute quotas force, beyond their burst
    note: str
    tail: int = 0  # of the calls, how many must wait for all the others (Google's suspension)

    def rounds(self) -> int:
        """Round trips the calls need at this concurrency, the tail after the rest."""
        return math.ceil((self.calls - self.tail) / self.concurrency) + self.tail

    def seconds(self, latency: float) -> float:
        return max(self.chain * latency, self.rounds() * latency, self.rate_wait)


def _kinds(plan: Plan, system: str, phase: Phase | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in plan.systems:
        if s.system != system:
            continue
        for a in s.actions:
            if phase is None or a.phase is phase:
                counts[a.kind] = counts.get(a.kind, 0) + 1
    return counts


def _rate_wait(calls: int, per_minute: float, burst: float) -> float:
    return max(0.0, (calls - burst) / (per_minute / 60))


def bound(plan: Plan, concurrency: Mapping[str, int]) -> tuple[list[Term], list[Term], list[Term]]:
    """(discovery, cut, done) terms per system, from the plan's action counts.

    Discovery: the reads a plan cannot do without. Google: the admin token grant, then
    users.get (resolve), then groups.list and the per-user lists (tokens, app passwords,
    backup codes, roles, devices; Gmail delegates, forwarding, POP, IMAP with the user's own
    token), then members.get for each group (role and delivery are the before-state that
    reinstatement needs): a chain of 4. Slack: users.lookupByEmail (resolve), then
    users.info, users.conversations, usergroups.list and auth.test side by side: a chain of 2.
    Apply: one write per action, no read before it (the plan was just observed); Google's
    suspension must follow every other cut write (Google refuses sign-out and backup-code
    invalidation for a suspended user, and Gmail settings calls stop): a chain of 2 for
    cut; clean writes depend on nothing: a chain of 1 (2 with suspension in the same run).
    Slack on Pro has no cut action (deactivation is manual); kicks are clean.
    """
    g_cut, g_all = _kinds(plan, "google", Phase.CUT), _kinds(plan, "google")
    s_all = {k: v for k, v in _kinds(plan, "slack").items() if k != "deactivate-manual"}
    groups = g_all.get("group", 0)
    gmail_reads = 4  # delegates, forwarding, POP, IMAP
    g_reads = 1 + 1 + 6 + groups + gmail_reads  # resolve, groups.list, 6 admin lists, members.get, Gmail
    gc, sc = concurrency.get("google", 1), concurrency.get("slack", 1)
    # Slack tier 3 allows 50 a minute with a burst: resolve and users.conversations take 2 of them.
    tier3 = PER_MINUTE["tier3"]
    kicks = s_all.get("channel-kick", 0)
    tier2_writes = s_all.get("usergroup", 0)
    discovery = [
        Term("google", "discovery", 4, g_reads, gc, 0.0,
             f"token → users.get → lists → {groups} members.get; {g_reads} reads"),
        Term("slack", "discovery", 2, 5, sc, 0.0, "lookupByEmail → info, conversations, usergroups, auth.test"),
    ]
    cut_calls = sum(g_cut.values())
    tail = 1 if g_cut.get("suspend") else 0
    cut = [Term("google", "cut", 1 + tail, cut_calls, gc, 0.0,
                f"{cut_calls} writes, suspend after the other {cut_calls - tail}", tail)]
    done = [
        Term("google", "done", 1 + tail, sum(g_all.values()), gc, 0.0,
             f"{sum(g_all.values())} writes ({groups} group removals)", tail),
        Term("slack", "done", 1, kicks + tier2_writes, sc,
             max(_rate_wait(2 + kicks, tier3, tier3), _rate_wait(1 + 2 * tier2_writes, PER_MINUTE["tier2"],
                                                                   PER_MINUTE["tier2"])),
             f"{kicks} kicks (tier 3: {tier3}/min, burst {tier3}) + {tier2_writes} user-group update (tier 2)"),
    ]
    assert METHOD_TIERS["conversations.kick"] == "tier3"
    return discovery, cut, done


# ---------------------------------------------------------------- CLI start-up


def startup(runs: int = 5) -> tuple[float, float]:
    def best(cmd: list[str]) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.perf_counter() - t)
        return min(times)

    offboard = str(Path(sys.executable).parent / "offboard")
    return best([sys.executable, "-c", "pass"]), best([offboard, "--help"])


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.08, help="seconds added to every request (default 0.08)")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-call-at-a-time run")
    args = parser.parse_args()
    L = args.latency
    with tempfile.TemporaryDirectory() as tmp:
        measure(Path(tmp) / "warm", 0.0, serial=False)  # imports, discovery documents: not what is measured
        m = measure(Path(tmp) / "run", L, serial=False)
        s = None if args.no_serial else measure(Path(tmp) / "serial", L, serial=True)

    disc, cut, done = bound(m.plan_obj, m.concurrency)
    d_bound = max(t.seconds(L) for t in disc)
    cut_bound = d_bound + max(t.seconds(L) for t in cut)
    done_bound = d_bound + max(t.seconds(L) for t in done)
    counts = m.plan_obj.counts()
    print(f"time_to_cut: latency {L * 1000:.0f} ms per request; member with {SEED['groups']} groups, {SEED['tokens']} OAuth "
          f"tokens, {SEED['asps']} app passwords, {SEED['delegates']} mail delegates (Google) and {PRIVATE_CHANNELS} "
          "private channels (Slack plan Pro: no SCIM, so the channels are kicked and deactivation is a manual step)")
    print(f"plan: {counts['cut']} cut, {counts['clean']} clean, {counts['manual']} manual actions; "
          f"concurrency google {m.concurrency.get('google')}, slack {m.concurrency.get('slack')}; "
          f"outcomes {dict(sorted(m.states.items()))}")
    print()
    print(f"{'':16}{'measured':>10}{'bound':>10}{'ratio':>8}")
    for label, value, limit in (("plan (discovery)", m.plan, d_bound), ("time to cut", m.cut, cut_bound),
                                ("time to done", m.done, done_bound)):
        ratio = f"{value / limit:>8.2f}" if limit else f"{'-':>8}"
        print(f"{label:16}{value:>9.3f}s{limit:>9.3f}s{ratio}")
    total = sum(m.api_requests.values())
    print(f"requests sent: {total} API requests (google {m.api_requests['google']}, slack {m.api_requests['slack']}), "
          f"plus {m.token_grants} Google token grants")
    if s is not None:
        print(f"one call at a time: time to cut {s.cut:.3f}s, time to done {s.done:.3f}s, "
              f"{sum(s.api_requests.values())} API requests; speed-up to done {s.done / m.done:.1f}x, "
              f"to cut {s.cut / m.cut:.1f}x")
    print()
    print("bound = discovery + apply; each phase per system = max(chain x latency, ceil(calls / concurrency) x latency,"
          " quota wait); rounds = ceil(calls / concurrency) (+1 for a call that must follow all the others);"
          " systems run side by side, so each phase takes its slowest system")
    for t in (*disc, *cut, *done):
        print(f"  {t.system:7}{t.phase:10} chain {t.chain} x {L:.3f} = {t.chain * L:.3f}s; "
              f"{t.rounds()} rounds of {t.concurrency} x {L:.3f} = {t.rounds() * L:.3f}s; "
              f"quota wait {t.rate_wait:.3f}s  ({t.note})")
    print()
    python, cli = startup()
    print(f"CLI start-up (best of 5): offboard --help {cli * 1000:.0f} ms, python -c pass {python * 1000:.0f} ms")


if __name__ == "__main__":
    main()
