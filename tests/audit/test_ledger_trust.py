"""The audit believes only a ledger that verifies: pinned to the configured signer and namespace, and whole.

Over the Google and Slack emulators with the real connectors. Dora (m044) is active in the roster: a
report that says otherwise must come from the CC's key, or the audit stops before reading anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from offboard.report.ledger import Ledger, report_namespace
from offboard.report.signing.keys import FileKeySigner, generate_key
from tests.audit.conftest import EXCEPTIONS, UNSIGNED, EmulatedOrg
from tests.report.conftest import document

SIGNING = '\n[signing]\nkey = "keys/offboard_ed25519"\nsigner = "cc@example.org"\nallowed_signers = "keys/allowed_signers"\n'


def refused(problem: str, file: str) -> str:
    return (f"Error: the ledger cannot be trusted, so nothing was read from it: {problem}. Restore {file} from your "
            "ledger's history (git) or remove it, then run `offboard verify`.\n")


class Keys:
    def __init__(self, root: Path) -> None:
        self.reports = root / ".offboard" / "reports"
        folder = root / "keys"
        cc = generate_key(folder / "offboard_ed25519", "cc@example.org")
        other = generate_key(folder / "mallory", "mallory@example.org")
        # mallory's line has no namespaces= (nor does cc's): only the pin to the signer and namespace protects
        (folder / "allowed_signers").write_text(
            f"cc@example.org {cc.public_key_line}\nmallory@example.org {other.public_key_line}\n")
        self.cc = FileKeySigner.from_file(cc.private_path, lambda: "")
        self.mallory = FileKeySigner.from_file(other.private_path, lambda: "")

    def forge(self, kind: str, signer: FileKeySigner | None, **changes: Any) -> Path:
        """A report about Dora appended to the chain (the right seq and prev_sha256), signed by ``signer``."""
        forged = document(kind=kind, member={"id": "m044", "name": "Dora Expelled"}, run_id=f"forged-{kind}",
                          systems=[], summary={}, **changes)
        return Ledger(self.reports).append(forged, signer).json_path


@pytest.fixture
def keys(emulated: EmulatedOrg) -> Keys:
    made = Keys(emulated.root)
    emulated.write_config(EXCEPTIONS + SIGNING)
    return made


def dora_suspended(emulated: EmulatedOrg) -> bool:
    return bool(emulated.google.user("dora@example.org")["suspended"])


def nothing_changed(emulated: EmulatedOrg) -> bool:
    return emulated.google.writes() == [] and emulated.slack.writes() == [] and not dora_suspended(emulated)


def test_an_unsigned_report_dropped_in_stops_audit_and_fix(emulated, keys, cli):
    assert cli("audit")[0] == 2  # a signed audit: 000001
    forged = keys.forge("expel", None)
    assert forged.name == "000002-m044-expel.json"
    error = refused("000002-m044-expel.json is unsigned (written with --unsigned): it is not signed by cc@example.org",
                    "000002-m044-expel.json")
    assert cli("audit") == (1, "", error)
    assert cli("audit", "--fix", "--yes", "--playbook", "test") == (1, "", error)
    assert nothing_changed(emulated)  # neither Dora nor Bob (expelled in the roster) was touched
    assert sorted(p.name for p in keys.reports.glob("*.json")) == ["000001-org-audit.json", "000002-m044-expel.json"]


def test_an_expel_signed_by_another_listed_key_is_refused(emulated, keys, cli):
    keys.forge("expel", keys.mallory)
    problem = "000001-m044-expel.json is signed by mallory@example.org, not by the configured signer cc@example.org"
    assert cli("audit", "--fix", "--yes", "--playbook", "test") == (1, "", refused(problem, "000001-m044-expel.json"))
    assert nothing_changed(emulated)


def test_a_forged_reinstatement_cannot_hide_findings(emulated, keys, cli):
    code, _, err = cli("expel", "m044", "--playbook", "test", "--yes")
    assert code == 3, err  # signed by cc; the bank step waits on a person
    emulated.add_to_google_group("members@example.org", "dora@example.org")  # someone adds her back
    _, out, _ = cli("audit")
    assert "leftover-access     google  dora@example.org" in out
    keys.forge("reinstate", keys.mallory)  # 000003, after the expulsion and the audit
    problem = "000003-m044-reinstate.json is signed by mallory@example.org, not by the configured signer cc@example.org"
    assert cli("audit") == (1, "", refused(problem, "000003-m044-reinstate.json"))


def test_a_signature_for_another_namespace_is_refused(emulated, keys, cli):
    """Signed by the CC's own key, but for another org: it vouches for nothing here."""
    keys.forge("expel", keys.cc, org={"name": "Other Org", "domain": "other.org"})
    problem = (f"000001-m044-expel.json: it is signed for namespace '{report_namespace('other.org')}', "
               f"not '{report_namespace('example.org')}'")
    assert cli("audit", "--fix", "--yes", "--playbook", "test") == (1, "", refused(problem, "000001-m044-expel.json"))
    assert nothing_changed(emulated)


def test_deleting_the_newest_report_is_shown_by_this_machines_journal(emulated, keys, cli):
    code, _, err = cli("expel", "m044", "--playbook", "test", "--yes")
    assert code == 3, err
    assert cli("verify")[1].splitlines()[-2] == "Journal: the 1 report this machine wrote is all there, unchanged."
    for path in keys.reports.glob("000001-*"):
        path.unlink()  # an empty folder: no chain to show the loss
    problem = "000001-m044-expel.json (recorded by this machine's journal) is missing: the newest reports were deleted"
    assert cli("audit") == (1, "", (
        f"Error: the ledger cannot be trusted, so nothing was read from it: {problem}. Restore what was deleted "
        "from your ledger's history (git), then run `offboard verify`.\n"))


def test_a_signed_audit_records_what_it_believed(emulated, keys, cli):
    code, out, err = cli("audit", "--json")
    assert (code, err) == (2, "")  # signed: no warning
    assert json.loads(out)["ledger"] == {"reports": 0, "signed": True, "signers": ["cc@example.org"],
                                         "namespace": "offboard-report@example.org", "warning": None}
    code, out, _ = cli("verify")
    assert code == 0 and "Journal: the 1 report this machine wrote is all there, unchanged.\n" in out


def test_an_org_without_a_key_says_unsigned_ledger_in_every_audit(emulated, cli):
    code, out, err = cli("audit", "--unsigned", "--json")
    assert (code, err) == (2, UNSIGNED)
    ledger = {"reports": 0, "signed": False, "signers": [], "namespace": "offboard-report@example.org",
              "warning": UNSIGNED.rstrip("\n")}
    assert json.loads(out)["ledger"] == ledger
    code, out, err = cli("audit", "--unsigned")
    assert (code, err) == (2, UNSIGNED)
    reports = list(Ledger(emulated.root / ".offboard" / "reports").reports())
    assert [r["ledger"] for r in reports] == [ledger, {**ledger, "reports": 1}]  # and so does each audit's report
