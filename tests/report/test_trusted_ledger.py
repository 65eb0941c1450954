"""The ledger is verified before anything believes it: pinned to the configured signer and namespace,
cross-checked with this machine's journal, and its .md re-rendered from the signed JSON."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from pathlib import Path

import pytest

from offboard.apply.journal import Journal
from offboard.cli import run
from offboard.config import load_config
from offboard.errors import ConfigurationError, LedgerError
from offboard.report.ledger import Ledger
from offboard.report.signing.keys import FileKeySigner, generate_key, load_signer
from offboard.report.trusted import UNSIGNED_LEDGER, trusted_ledger
from tests.report.conftest import document
from tests.report.test_cli import CONFIG

SIGNED_BY_MALLORY = "is signed by mallory@example.org, not by the configured signer cc@example.org"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OFFBOARD_CONFIG", raising=False)
    monkeypatch.delenv("OFFBOARD_STATE_DIR", raising=False)
    (tmp_path / "offboard.toml").write_text(CONFIG)
    return tmp_path


def signed_ledger(workdir: Path, count: int, record: bool = False) -> Path:
    """``count`` reports signed by cc@example.org's key; ``record``: this machine's journal records them."""
    assert run(["keygen"]) == 0
    config = load_config(str(workdir / "offboard.toml"))
    ledger = Ledger(config.reports_dir)
    journal = Journal(config.journal_path) if record else None
    for number in range(count):
        files = ledger.append(document(run_id=f"run-{number}"), load_signer(config))
        if journal is not None:
            journal.add_report(f"run-{number}", files.seq, files.json_path, files.sha256)
    if journal is not None:
        journal.close()
    return config.reports_dir


def mallory(workdir: Path, options: str = "") -> FileKeySigner:
    """A second key in allowed_signers, for another principal, with no namespaces= restriction."""
    key = generate_key(workdir / "keys" / "mallory", "mallory@example.org")
    with (workdir / "keys" / "allowed_signers").open("a") as handle:
        handle.write(f"mallory@example.org{options} {key.public_key_line}\n")
    return FileKeySigner.from_file(key.private_path, lambda: "")


def resign(reports: Path, signer: FileKeySigner, namespace: str = "offboard-report@example.org") -> None:
    for path in sorted(reports.glob("*.json")):
        path.with_name(path.name + ".sig").write_text(signer.sign(path.read_bytes(), namespace))


# ---------------------------------------------------------------- pinned to the configured signer and namespace


def test_a_chain_re_signed_by_another_principal_fails_verify_with_a_config(workdir, capsys):
    reports = signed_ledger(workdir, 2)
    resign(reports, mallory(workdir))
    capsys.readouterr()
    assert run(["verify"]) == 1
    assert capsys.readouterr().out == (
        f"000001-m042-expel.json {SIGNED_BY_MALLORY}\n"
        f"000002-m042-expel.json {SIGNED_BY_MALLORY}\n"
        "2 problems in 2 reports: do not rely on this ledger until they are explained.\n"
    )


def test_a_bare_clone_says_nothing_was_pinned_and_pins_with_options(workdir, capsys):
    reports = signed_ledger(workdir, 1)
    resign(reports, mallory(workdir))
    (workdir / "offboard.toml").unlink()  # a CC member's clone: the reports and allowed_signers only
    capsys.readouterr()
    bare = ["verify", str(reports), "--allowed-signers", "keys/allowed_signers"]
    assert run(bare) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        "Signed by: mallory@example.org",
        "No signer pinned: any key in allowed_signers was accepted; pass --signer PRINCIPAL (the CC's) to require it.",
        "No namespace pinned: each report was checked in its own org's namespace; pass --namespace "
        "offboard-report@DOMAIN to require yours.",
    ]
    assert run([*bare, "--signer", "cc@example.org", "--namespace", "offboard-report@example.org"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == f"000001-m042-expel.json {SIGNED_BY_MALLORY}"


def test_a_signature_for_another_namespace_is_refused(workdir, capsys):
    """The report names another org, so today's check (its own org.domain) passed it; the config's does not."""
    assert run(["keygen"]) == 0
    (workdir / "keys" / "allowed_signers").write_text(  # the line without namespaces=: only the pin protects
        (workdir / "keys" / "offboard_ed25519.pub").read_text().join(["cc@example.org ", ""]))
    config = load_config(str(workdir / "offboard.toml"))
    Ledger(config.reports_dir).append(document(org={"name": "Other", "domain": "other.org"}), load_signer(config))
    capsys.readouterr()
    assert run(["verify"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == (
        "000001-m042-expel.json: it is signed for namespace 'offboard-report@other.org', not 'offboard-report@example.org'")
    with pytest.raises(LedgerError, match=re.escape("not 'offboard-report@example.org'")):
        trusted_ledger(config)


def test_trusted_ledger_names_the_first_bad_file_and_what_to_do(workdir):
    reports = signed_ledger(workdir, 2)
    config = load_config(str(workdir / "offboard.toml"))
    assert [r["seq"] for r in trusted_ledger(config).reports] == [1, 2]
    Ledger(reports).append(document(member={"id": "m007", "name": "Mo"}), None)  # dropped in, unsigned
    with pytest.raises(LedgerError) as refused:
        trusted_ledger(config)
    assert str(refused.value) == (
        "the ledger cannot be trusted, so nothing was read from it: 000003-m007-expel.json is unsigned (written with "
        "--unsigned): it is not signed by cc@example.org. Restore 000003-m007-expel.json from your ledger's history "
        "(git) or remove it, then run `offboard verify`.")


def test_a_report_signed_by_another_listed_key_is_refused_even_a_valid_one(workdir):
    signed_ledger(workdir, 1)
    config = load_config(str(workdir / "offboard.toml"))
    Ledger(config.reports_dir).append(document(kind="reinstate"), mallory(workdir))
    with pytest.raises(LedgerError, match=re.escape(f"000002-m042-reinstate.json {SIGNED_BY_MALLORY}")):
        trusted_ledger(config)


def test_what_a_crashed_append_left_does_not_stop_a_reader(workdir):
    reports = signed_ledger(workdir, 2)
    (reports / "000003-m042-expel.json.sig").write_text("half")  # crashed before its .json was written
    (reports / "000003-m042-expel.md").write_text("half")
    config = load_config(str(workdir / "offboard.toml"))
    assert len(trusted_ledger(config).reports) == 2  # read under the ledger's lock: no append is half-way
    (reports / "000001-m042-expel.json").unlink()  # a report deleted before the last one is still named
    with pytest.raises(LedgerError, match=re.escape("000001-m042-expel.json is missing but 000001-m042-expel.json.sig")):
        trusted_ledger(config)


def test_signer_must_be_set_when_the_org_signs(workdir):
    (workdir / "offboard.toml").write_text(CONFIG.replace('signer = "cc@example.org"\n', ""))
    with pytest.raises(ConfigurationError, match=r"\[signing\] signer is not set"):
        trusted_ledger(load_config(str(workdir / "offboard.toml")))


def test_a_list_of_signers_is_accepted(workdir):
    reports = signed_ledger(workdir, 1)
    signer = mallory(workdir)
    Ledger(reports).append(document(), signer)
    (workdir / "offboard.toml").write_text(
        CONFIG.replace('signer = "cc@example.org"', 'signer = ["cc@example.org", "mallory@example.org"]'))
    ledger = trusted_ledger(load_config(str(workdir / "offboard.toml")))
    assert len(ledger.reports) == 2 and ledger.signers == ("cc@example.org", "mallory@example.org")


def test_an_org_without_a_key_reads_an_unsigned_ledger_and_says_so(workdir):
    (workdir / "offboard.toml").write_text(CONFIG.split("[signing]")[0])
    config = load_config(str(workdir / "offboard.toml"))
    Ledger(config.reports_dir).append(document(), None)
    ledger = trusted_ledger(config)
    assert len(ledger.reports) == 1 and not ledger.signed
    assert ledger.warning == UNSIGNED_LEDGER == (
        "unsigned ledger: no [signing] key is configured, so reports are not signed and anyone with write access to "
        "the reports folder can change them; run `offboard keygen` to sign them")
    (config.reports_dir / "000001-m042-expel.json").write_bytes(b"{}")  # the chain still holds it
    with pytest.raises(LedgerError, match=re.escape("000001-m042-expel.json is not a readable report")):
        trusted_ledger(config)


# ---------------------------------------------------------------- the journal shows the newest reports deleted


def test_deleting_the_newest_report_is_shown_by_the_journal(workdir, capsys):
    reports = signed_ledger(workdir, 3, record=True)
    capsys.readouterr()
    assert run(["verify"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "Journal: the 3 reports this machine wrote are all there, unchanged.",
        "3 reports verified: signatures good, chain intact.",
    ]
    for suffix in (".json", ".json.sig", ".md"):
        (reports / f"000003-m042-expel{suffix}").unlink()  # the chain of 000001-000002 is still intact
    assert run(["verify"]) == 1
    assert capsys.readouterr().out == (
        "000003-m042-expel.json (recorded by this machine's journal) is missing: the newest reports were deleted\n"
        "1 problem in 2 reports: do not rely on this ledger until they are explained.\n"
    )
    config = load_config(str(workdir / "offboard.toml"))
    journal = Journal(config.journal_path)
    try:
        with pytest.raises(LedgerError) as refused:
            trusted_ledger(config, journal)
    finally:
        journal.close()
    assert str(refused.value) == (
        "the ledger cannot be trusted, so nothing was read from it: 000003-m042-expel.json (recorded by this machine's "
        "journal) is missing: the newest reports were deleted. Restore what was deleted from your ledger's history "
        "(git), then run `offboard verify`.")


def test_the_journal_keeps_each_reports_sha256_and_an_older_journal_still_opens(tmp_path):
    path = tmp_path / "journal.sqlite3"
    old = sqlite3.connect(path)  # a journal written before the hashes were kept
    old.execute("CREATE TABLE reports (run_id TEXT NOT NULL, seq INTEGER NOT NULL, path TEXT NOT NULL, at TEXT NOT NULL)")
    old.execute("INSERT INTO reports VALUES ('run-0', 1, '/x/000001-m042-expel.json', '2026-01-01T00:00:00Z')")
    old.commit()
    old.close()
    report = tmp_path / "000002-m042-expel.json"
    report.write_bytes(b'{"seq":2}')
    journal = Journal(path)
    try:
        journal.add_report("run-1", 2, report, hashlib.sha256(report.read_bytes()).hexdigest())
        recorded = journal.recorded_reports()
    finally:
        journal.close()
    assert recorded == [
        (1, "000001-m042-expel.json", None),
        (2, "000002-m042-expel.json", hashlib.sha256(b'{"seq":2}').hexdigest()),
    ]


def test_a_report_replaced_since_this_machine_wrote_it_is_named(workdir, capsys):
    reports = signed_ledger(workdir, 1, record=True)
    config = load_config(str(workdir / "offboard.toml"))
    for suffix in (".json", ".json.sig", ".md"):
        (reports / f"000001-m042-expel{suffix}").unlink()
    Ledger(reports).append(document(run_id="other"), load_signer(config))  # a signed report, but not the one written
    capsys.readouterr()
    assert run(["verify"]) == 1
    journal = Journal(config.journal_path)
    recorded = journal.recorded_reports()[0][2]
    journal.close()
    assert capsys.readouterr().out.splitlines()[0] == (
        f"000001-m042-expel.json is not the report this machine wrote as 000001 (its journal recorded sha256 {recorded}): "
        "it was replaced")


# ---------------------------------------------------------------- the .md is derived from the signed JSON


def test_an_edited_markdown_is_reported_and_regenerated(workdir, capsys):
    reports = signed_ledger(workdir, 3)
    md = reports / "000002-m042-expel.md"
    original = md.read_text()
    md.write_text(original.replace("Bob Example", "Rob Example"))
    (reports / "000003-m042-expel.md").unlink()
    capsys.readouterr()
    assert run(["verify"]) == 1
    assert capsys.readouterr().out == (
        "000002-m042-expel.md does not match its report: it was edited (or written by an older offboard); regenerate "
        "it from the signed report with `offboard verify --fix-markdown`\n"
        "000003-m042-expel.md is missing; regenerate it from the signed report with `offboard verify --fix-markdown`\n"
        "2 problems in 3 reports: do not rely on this ledger until they are explained.\n"
    )
    assert run(["verify", "--fix-markdown"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "Regenerated 000002-m042-expel.md from its report.",
        "Regenerated 000003-m042-expel.md from its report.",
    ]
    assert md.read_text() == original and (reports / "000003-m042-expel.md").is_file()
    assert run(["verify"]) == 0


def test_fix_markdown_never_renders_a_report_that_does_not_verify(workdir, capsys):
    reports = signed_ledger(workdir, 1)
    resign(reports, mallory(workdir))
    (reports / "000001-m042-expel.md").write_text("# Nothing happened\n")
    capsys.readouterr()
    assert run(["verify", "--fix-markdown"]) == 1
    assert capsys.readouterr().out.splitlines()[0] == f"000001-m042-expel.json {SIGNED_BY_MALLORY}"
    assert (reports / "000001-m042-expel.md").read_text() == "# Nothing happened\n"
