"""An org on disk wired to the Google and Slack emulators (their sandboxes, the real connectors).

The roster says who is who; the emulators were seeded as the systems would be before the
CC's decisions: Bob's accounts are still active though the roster says expelled, Carl left
(former) but his accounts work, Fran left long ago (suspended everywhere), two members share
the desk@ Google account, and the sandboxes add an orphan, a bot and the admins.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from offboard.connectors.google_workspace.emulator import GoogleEmulator
from offboard.connectors.google_workspace.emulator import start_sandbox as google_sandbox
from offboard.connectors.slack.emulator import SlackEmulator
from offboard.connectors.slack.emulator import start_sandbox as slack_sandbox

from offboard.spi import Member
from offboard.testing.emulation import Sandbox

DOMAIN = "example.org"

# What every audit of an org without a report key says first (on stderr), before its table.
UNSIGNED = ("unsigned ledger: no [signing] key is configured, so reports are not signed and anyone with write access "
            "to the reports folder can change them; run `offboard keygen` to sign them\n")

# What the systems were seeded from: everyone active but Fran.
SEEDED = [
    Member("m001", "Alice Admin", f"alice@{DOMAIN}", "alice@mail.test"),
    Member("m042", "Bob Example", f"bob@{DOMAIN}", "bob@mail.test"),
    Member("m043", "Carl Former", f"carl@{DOMAIN}", "carl@mail.test"),
    Member("m044", "Dora Expelled", f"dora@{DOMAIN}", "dora@mail.test"),
    Member("m050", "Fran Former", f"fran@{DOMAIN}", "fran@mail.test", status="former"),
]

ROSTER = """\
id,name,email,personal_email,status,google
m001,Alice Admin,alice@example.org,alice@mail.test,active,
m042,Bob Example,bob@example.org,bob@mail.test,expelled,
m043,Carl Former,carl@example.org,carl@mail.test,former,
m044,Dora Expelled,dora@example.org,dora@mail.test,active,
m050,Fran Former,fran@example.org,fran@mail.test,former,
m070,Hana Desk,hana@example.org,hana@mail.test,active,desk@example.org
m071,Ivo Desk,ivo@example.org,ivo@mail.test,active,desk@example.org
"""

EXCEPTIONS = """\
[[audit.exceptions]]
system = "google"
account = "admin@example.org"
kind = "service"
reason = "the super admin offboard acts as"

[[audit.exceptions]]
system = "google"
account = "archive@example.org"
kind = "service"
reason = "receives Drive transfers"

[[audit.exceptions]]
system = "google"
account = "bot-noreply@example.org"
kind = "bot"
reason = "sends notifications"

[[audit.exceptions]]
system = "slack"
account = "slack-admin@example.org"
kind = "service"
reason = "the admin whose token offboard uses"

[[audit.exceptions]]
system = "slack"
account = "@deploybot"
kind = "bot"
reason = "posts deploy notices"
"""

# Google, Slack and one manual step: what `offboard expel --playbook test` does here.
PLAYBOOK = """\
name: test
description: the emulated systems and one manual step
steps:
  - connector: google
  - connector: slack
  - connector: manual
    system: bank
    title: Bank account
    steps:
      - id: remove-signer
        title: Remove the member as signer
"""


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"'


class EmulatedOrg:
    def __init__(self, root: Path, google: Sandbox, slack: Sandbox) -> None:
        self.root = root
        self.google_sandbox = google
        self.slack_sandbox = slack
        self.extra = ""  # more TOML for the config (exceptions, [notify], ...)

    @property
    def google(self) -> GoogleEmulator:
        return self.google_sandbox.emulator  # type: ignore[return-value]

    @property
    def slack(self) -> SlackEmulator:
        return self.slack_sandbox.emulator  # type: ignore[return-value]

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
        return path

    def write_config(self, extra: str = "", *, google: bool = True, slack: bool = True) -> None:
        """No transfer_to: a --fix run must not wait on a Drive transfer."""
        tables = ""
        if google:
            table = {k: v for k, v in self.google_sandbox.config.items() if k != "transfer_to"}
            tables += "[connectors.google]\n" + "".join(f"{k} = {toml_value(v)}\n" for k, v in table.items()) + "\n"
        if slack:
            tables += "[connectors.slack]\n" + "".join(
                f"{k} = {toml_value(v)}\n" for k, v in self.slack_sandbox.config.items()) + "\n"
        self.write("offboard.toml", f'[org]\nname = "Example Org"\ndomain = "{DOMAIN}"\n\n[roster]\npath = "roster.csv"\n\n'
                   + tables + extra)

    def add_to_google_group(self, group: str, email: str) -> None:
        with self.google.lock:
            self.google.workspace.add_member(group, email)

    def slack_id(self, email: str) -> str:
        with self.slack.lock:
            found = self.slack.workspace.by_email(email)
            assert found is not None, email
            return found["id"]

    def add_to_slack_usergroup(self, handle: str, email: str) -> None:
        uid = self.slack_id(email)
        with self.slack.lock:
            group = next(g for g in self.slack.workspace.usergroups.values() if g.handle == handle)
            group.users.append(uid)


@pytest.fixture
def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


@pytest.fixture
def emulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]) -> Iterator[EmulatedOrg]:
    monkeypatch.chdir(tmp_path)
    for var in ("OFFBOARD_CONFIG", "OFFBOARD_STATE_DIR", "OFFBOARD_DEBUG", "SSH_AUTH_SOCK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OFFBOARD_OPERATOR", "carol")
    google = google_sandbox(DOMAIN, SEEDED, tmp_path)
    slack = slack_sandbox(DOMAIN, SEEDED, tmp_path)
    for key, value in slack.environ.items():
        monkeypatch.setenv(key, value)
    org = EmulatedOrg(tmp_path, google, slack)
    with google.emulator.lock:
        google.emulator.workspace.add_user(f"desk@{DOMAIN}")
    org.write("roster.csv", ROSTER)
    org.write("playbooks/test.yaml", PLAYBOOK)
    org.write_config(EXCEPTIONS)
    try:
        yield org
    finally:
        google.stop()
        slack.stop()
