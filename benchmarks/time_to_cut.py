"""Time to cut: how soon an expelled member can no longer get in, against a lower bound.

Runs ``operations.expel`` with the request of ``offboard expel MEMBER --yes --unsigned``
(resolve and discovery, the journal, the engine, the report) against the Google and Slack
emulators, each request delayed by a fixed latency, for a heavy member: 60 groups, 8 OAuth tokens, 3 app passwords, 2 mail
delegates (Google) and 40 private channels (Slack on plan Pro: no SCIM, so the channels
are kicked one by one and deactivation is a manual step). Then runs the same member one
call at a time, as a script of separate admin commands would, for comparison.

"Enter" is the moment before resolve and discovery; time to cut ends when the last cut
action's outcome is recorded (an engine Listener timestamps outcomes), time to done when
the run ends. Each measurement runs in a fresh interpreter, as ``offboard expel`` does, and
the emulators in a process of their own; requests are counted from the emulators' logs
(Google's token grants apart).

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
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator_process import EmulatorProcess  # noqa: E402
from offboard.connectors.google_workspace.emulator import TOKEN_PATH, GoogleEmulator  # noqa: E402
from offboard.connectors.slack.emulator import SlackEmulator  # noqa: E402
from offboard.connectors.slack.tiers import METHOD_TIERS, PER_MINUTE  # noqa: E402

from offboard import operations  # noqa: E402
from offboard.apply.engine import Listener as EngineListener  # noqa: E402
from offboard.plans.plan import Plan  # noqa: E402
from offboard.spi import Action, Phase, State  # noqa: E402
from offboard.testing.emulation import Faults  # noqa: E402

DOMAIN = "example.org"
MEMBER = "m042"
EMAIL = f"bob@{DOMAIN}"
ROSTER = f"id,name,email,personal_email,status\n{MEMBER},Bob Example,{EMAIL},bob@home.test,active\n"
PLAYBOOK = "name: bench\ndescription: Google and Slack, no manual systems\nsteps:\n  - connector: google\n  - connector: slack\n"
ONE_SYSTEM = "name: bench-{0}\ndescription: {0} alone, for one call at a time\nsteps:\n  - connector: {0}\n"
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

    def finished(self, system: str, action: Action, state: State) -> None:
        with self.lock:
            self.times[action.phase.value].append(time.perf_counter())
            self.states[state.value] = self.states.get(state.value, 0) + 1

    def last(self, phase: Phase | None) -> float | None:
        """When the last outcome of ``phase`` (of any phase: None) was recorded, from the start."""
        times = self.times[phase.value] if phase else [t for ts in self.times.values() for t in ts]
        return max(times) - self.start if times else None


def build_emulators(workdir: str, latency: float) -> tuple[dict[str, Any], dict[str, str]]:
    """In a process of its own (see emulator_process): the emulators, seeded and started.

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
    google.write_key_file(Path(workdir) / "sa.json")
    return {"google": google, "slack": slack}, {"google": google.url, "slack": slack.url, "slack_token": slack.admin_token}


class Org:
    """A sample org on disk whose Google and Slack are emulators in another process."""

    def __init__(self, root: Path, latency: float) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.emulators = EmulatorProcess(build_emulators, root, latency=latency)
        urls = self.emulators.info
        (root / "roster.csv").write_text(ROSTER)
        (root / "bench.yaml").write_text(PLAYBOOK)
        for system in ("google", "slack"):
            (root / f"bench-{system}.yaml").write_text(ONE_SYSTEM.format(system))
        (root / "offboard.toml").write_text(
            f'[org]\nname = "Bench"\ndomain = "{DOMAIN}"\n\n[roster]\npath = "roster.csv"\n\n[state]\ndir = "state"\n\n'
            f'[connectors.google]\nservice_account_file = "sa.json"\nadmin = "admin@{DOMAIN}"\n'
            f'api_endpoint = "{urls["google"]}"\ninsecure_endpoint = true\n\n'
            f'[connectors.slack]\ntoken_env = "SLACK_ADMIN_TOKEN"\nscim = false\nbase_url = "{urls["slack"]}/api/"\n'
            'insecure_endpoint = true\n'
        )
        self.config = str(root / "offboard.toml")
        self.environ = {"SLACK_ADMIN_TOKEN": urls["slack_token"], "OFFBOARD_OPERATOR": "bench"}

    def counts(self) -> dict[str, int]:
        """Requests since the last clear: API requests per system, and Google's token grants apart."""
        log = self.emulators.log()  # ordered by time: a timeline when looking into a result
        google = [r for r in log if r.system == "google"]
        api = [r for r in google if r.path != TOKEN_PATH]
        return {"google": len(api), "slack": sum(r.system == "slack" for r in log), "grants": len(google) - len(api)}


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
        if gateway is not None:  # Google reads its lists side by side while discovering
            gateway.read_fanout = 1
        if hasattr(connector, "read_fanout"):  # so does Slack
            connector.read_fanout = 1  # type: ignore[attr-defined]


class Watch(operations.Silent):
    """The operation's interaction, as a stopwatch: plans shown, and each outcome timed."""

    def __init__(self, start: float) -> None:
        self.listener = Listener(start)
        self.plans: list[Plan] = []
        self.planned_at: float | None = None

    def show_plan(self, plan: Plan) -> None:
        self.planned_at = self.planned_at or time.perf_counter()
        self.plans.append(plan)

    def progress(self, totals: Mapping[str, int]) -> AbstractContextManager[EngineListener | None]:
        return nullcontext(self.listener)


def measure(root: Path, latency: float, serial: bool) -> Measured:
    org = Org(root, latency)
    try:
        with operations.Session.open(org.config, org.environ) as session:
            connectors = session.connectors_for(session.playbook(str(root / "bench.yaml")))  # what expel will use
            expel = operations.expel  # imported now, as `offboard expel` has done before the person presses Enter
            if serial:
                one_at_a_time(connectors)
            concurrency = {s: c.max_concurrency for s, c in connectors.items()}
            org.emulators.clear()
            start = time.perf_counter()  # "enter": before resolve and discovery
            watch = Watch(start)
            books = [f"bench-{s}.yaml" for s in ("google", "slack")] if serial else ["bench.yaml"]
            for book in books:  # one call at a time: systems one after the other, too
                request = operations.ExpelRequest(MEMBER, str(root / book), yes=True, unsigned=True)
                expel(session, request, watch)
            done = watch.listener.last(None) or 0.0
            cut = watch.listener.last(Phase.CUT) or 0.0
        plan = watch.plans[0]
        plan.systems = [s for p in watch.plans for s in p.systems]
        counts = org.counts()
        planned = (watch.planned_at or start) - start
        return Measured(cut, done, planned, {"google": counts["google"], "slack": counts["slack"]}, counts["grants"],
                        dict(watch.listener.states), plan, concurrency)
    finally:
        org.emulators.stop()


def _measure_twice(conn: Any, root: str, latency: float, serial: bool) -> None:
    first = measure(Path(root) / "cold", latency, serial)
    conn.send((first, measure(Path(root) / "warm", latency, serial)))


def in_fresh_process(root: Path, latency: float, serial: bool) -> tuple[Measured, Measured]:
    """Measure in a new interpreter, as a user's ``offboard expel`` runs: the first run pays for
    importing the client libraries (where a connector first calls), the second does not."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_measure_twice, args=(child, str(root), latency, serial))
    process.start()
    result = parent.recv()
    process.join()
    return result


# ---------------------------------------------------------------- the bound


@dataclass
class Term:
    """One system's share of one phase: the least number of round trips, and why."""

    system: str
    phase: str
    rounds: dict[str, int]  # each constraint -> round trips it forces; the bound takes the largest
    rate_wait: float  # seconds the per-minute quotas force, beyond their burst
    note: str

    def seconds(self, latency: float) -> float:
        return max(max(self.rounds.values()) * latency, self.rate_wait)


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


GOOGLE_LISTS = 6  # groups, tokens, app passwords, backup codes, admin roles, mobile devices (Directory API)
GMAIL_READS = 4  # delegates, forwarding, POP, IMAP (Gmail API, with the user's own token)
SLACK_READS = 4  # users.info, users.conversations, usergroups.list, auth.test


def bound(plan: Plan, concurrency: Mapping[str, int]) -> tuple[list[Term], list[Term], list[Term]]:
    """(discovery, cut, done) terms per system, from the plan's action counts.

    Allowed concurrency: neither Google nor Slack documents a number of requests in flight;
    both meter requests per minute. The bound allows each API what the connector declares
    safe (``max_concurrency``: Google 10, Slack 8), and each API its own (Gmail apart from
    the Directory API). Per-minute quotas: Google's Directory API allows 2,400 queries per
    minute per user, far above one run; Slack's tiers are paced by the connector (tier 3,
    conversations.kick: 50 a minute, with a burst of 50).

    Discovery, Google: the admin token grant, then users.get (resolve), then six Directory
    lists side by side, then members.get for each group (role and delivery are the
    before-state that reinstatement needs); Gmail's four reads go beside them on their own
    API and token. Slack: users.lookupByEmail (resolve), then four reads side by side.
    Apply: one write per action and no read before it (the plan was just observed).
    Google's suspension must follow every other cut write (Google refuses sign-out and
    backup-code invalidation for a suspended user, and Gmail settings calls stop); clean
    writes depend on nothing. Slack on Pro has no cut action (deactivation is manual, and
    its self-closing check is one read); kicks and user groups are clean.
    """
    g_cut, g_all = _kinds(plan, "google", Phase.CUT), _kinds(plan, "google")
    s_all = {k: v for k, v in _kinds(plan, "slack").items() if k != "deactivate-manual"}
    groups = g_all.get("group", 0)
    gc, sc = concurrency.get("google", 1), concurrency.get("slack", 1)
    kicks, s_groups = s_all.get("channel-kick", 0), s_all.get("usergroup", 0)
    tier3 = PER_MINUTE["tier3"]
    assert METHOD_TIERS["conversations.kick"] == METHOD_TIERS["users.lookupByEmail"] == "tier3"
    after_resolve = GOOGLE_LISTS + groups
    discovery = [
        Term("google", "discovery", {
            "chain token > users.get > groups.list > members.get": 4,
            f"token, users.get, then {after_resolve} Directory reads at {gc}": 2 + math.ceil(after_resolve / gc),
            f"token, users.get, groups.list, then {groups} members.get at {gc}": 3 + math.ceil(groups / gc),
            f"Gmail token, then {GMAIL_READS} Gmail reads at {gc}": 1 + math.ceil(GMAIL_READS / gc),
        }, 0.0, f"{2 + after_resolve + GMAIL_READS} reads and 2 token grants"),
        Term("slack", "discovery", {f"lookupByEmail, then {SLACK_READS} reads at {sc}": 1 + math.ceil(SLACK_READS / sc)},
             0.0, f"{1 + SLACK_READS} reads"),
    ]
    n_cut = sum(g_cut.values())
    tail = 1 if g_cut.get("suspend") else 0
    cut = [Term("google", "cut", {
        "chain write > suspend": 1 + tail,
        f"{n_cut - tail} writes at {gc}, then the suspension": math.ceil((n_cut - tail) / gc) + tail,
    }, 0.0, f"{n_cut} writes")]
    n_all = sum(g_all.values())
    done = [
        Term("google", "done", {"chain write > suspend": 1 + tail, f"{n_all} writes at {gc}": math.ceil(n_all / gc)},
             0.0, f"{n_all} writes, {groups} of them group removals"),
        Term("slack", "done", {f"{kicks + s_groups} writes at {sc}": math.ceil((kicks + s_groups) / sc)},
             _rate_wait(2 + kicks, tier3, tier3),
             f"{kicks} kicks (tier 3: {tier3}/min, burst {tier3}, 2 used by discovery), {s_groups} user-group update"),
    ]
    return discovery, cut, done


# ---------------------------------------------------------------- CLI start-up


def startup(runs: int = 9) -> tuple[float, float]:
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
        m, warm = in_fresh_process(Path(tmp) / "run", L, serial=False)
        s = None if args.no_serial else in_fresh_process(Path(tmp) / "serial", L, serial=True)[0]

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
    print(f"the same in a process that has already imported the client libraries: time to cut {warm.cut:.3f}s, "
          f"time to done {warm.done:.3f}s (above: a fresh process, as \"offboard expel\" runs, which imports "
          "google-api-python-client, google-auth and slack-sdk at its first call)")
    if s is not None:
        print(f"one call at a time: time to cut {s.cut:.3f}s, time to done {s.done:.3f}s, "
              f"{sum(s.api_requests.values())} API requests; speed-up to done {s.done / m.done:.1f}x, "
              f"to cut {s.cut / m.cut:.1f}x")
    print()
    print("bound = discovery + apply (a run applies a whole plan); each phase takes its slowest system; a system's"
          " phase takes the most round trips any of its constraints forces (calls in a row, calls / allowed concurrency)"
          " or its quota wait")
    for t in (*disc, *cut, *done):
        terms = "; ".join(f"{why}: {n} x {L * 1000:.0f} ms" for why, n in t.rounds.items())
        quota = f"; quota wait {t.rate_wait:.3f}s" if t.rate_wait else ""
        print(f"  {t.system:7}{t.phase:10} {t.seconds(L):.3f}s = max({terms}{quota})  [{t.note}]")
    print()
    python, cli = startup()
    print(f"CLI start-up (best of 9, wall): offboard --help {cli * 1000:.0f} ms, python -c pass {python * 1000:.0f} ms")


if __name__ == "__main__":
    main()
