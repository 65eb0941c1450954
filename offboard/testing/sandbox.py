"""The built-in sandbox: a sample org on disk, every connector's emulator started and seeded.

No credentials, no network: each connector that ships ``<package>.emulator.start_sandbox``
takes part, so the demo grows with the connectors (third-party ones included).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from offboard.members.roster import load_roster
from offboard.report.ledger import report_namespace
from offboard.report.signing.keys import generate_key
from offboard.spi import registry
from offboard.testing.emulation import Sandbox

DOMAIN = "example.org"
ORG_NAME = "Example Volunteers"
EXPELLED = "m042"
SUSPENDED = "m007"  # the demo suspends, then reinstates them
NOTICE = """
[notice]
from = "alice@example.org"
name = "Alice Admin, for the coordinating committee"
via = "gmail"
appeal = "To appeal, write to the committee at cc@example.org within 30 days."
"""  # a member who took no part sends the written notice, through the sandbox's Gmail
SIGNER = f"cc@{DOMAIN}"

ROSTER = """\
id,name,email,personal_email,status,discord,opencollective
m001,Alice Admin,alice@example.org,alice@mail.test,active,80351110224678912,alice-admin
m007,Dan Treasurer,dan@example.org,dan@mail.test,active,80351110224678913,dan-treasurer
m042,Bob Example,bob@example.org,bob@mail.test,active,80351110224678914,bob-example
m050,Fran Former,fran@example.org,fran@mail.test,former,,fran-former
"""  # Discord knows people by user id only; Open Collective by account slug


@dataclass
class DemoOrg:
    root: Path
    config_path: Path
    environ: dict[str, str]
    sandboxes: dict[str, Sandbox] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # connector -> why it has no sandbox

    def stop(self) -> None:
        for sandbox in self.sandboxes.values():
            sandbox.stop()


def _sandbox_starter(name: str):
    """``start_sandbox`` from the connector's ``emulator`` module, or None when it has none."""
    module_name = registry.available()[name].entry_point.module
    try:
        module = importlib.import_module(f"{module_name}.emulator")
    except ModuleNotFoundError:
        return None
    return getattr(module, "start_sandbox", None)


def _toml_value(value: object) -> str:
    if isinstance(value, list):  # a TOML array, as JSON writes it (Meta's page_ids)
        return json.dumps([str(v) for v in value])
    return json.dumps(value) if isinstance(value, str | bool | int | float) else json.dumps(str(value))


@contextmanager
def demo_org(root: Path) -> Iterator[DemoOrg]:
    """Write the sample org into ``root`` and start the emulators; stops them on exit."""
    root.mkdir(parents=True, exist_ok=True)
    roster_path = root / "roster.csv"
    roster_path.write_text(ROSTER)
    members = list(load_roster(roster_path))
    org = DemoOrg(root, root / "offboard.toml", {})
    try:
        tables: list[str] = []
        for name in sorted(registry.available()):
            if not registry.load(name).needs_config:  # a checklist: nothing to emulate
                continue
            starter = _sandbox_starter(name)
            if starter is None:
                org.skipped[name] = "it ships no emulator"
                continue
            sandbox = starter(DOMAIN, members, root)
            org.sandboxes[name] = sandbox
            org.environ.update(sandbox.environ)
            lines = [f"{key} = {_toml_value(value)}" for key, value in sandbox.config.items()]
            tables.append(f"[connectors.{name}]\n" + "\n".join(lines) + "\n")
        key = generate_key(root / "keys" / "offboard_ed25519", SIGNER)
        (root / "keys" / "allowed_signers").write_text(key.allowed_signers_line(SIGNER, report_namespace(DOMAIN)) + "\n")
        org.config_path.write_text(
            f'[org]\nname = "{ORG_NAME}"\ndomain = "{DOMAIN}"\n\n[roster]\npath = "roster.csv"\n\n'
            '[state]\ndir = ".offboard"\n\n'
            f'[signing]\nkey = "keys/offboard_ed25519"\nsigner = "{SIGNER}"\nallowed_signers = "keys/allowed_signers"\n\n'
            + "\n".join(tables) + (NOTICE if "google" in org.sandboxes else "")
        )
        yield org
    finally:
        org.stop()
