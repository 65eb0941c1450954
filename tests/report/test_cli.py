"""`offboard keygen` and `offboard verify`: exact output, for success and for each error."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from offboard.cli import run
from offboard.config import load_config
from offboard.report.ledger import Ledger
from offboard.report.signing import sshsig
from offboard.report.signing.keys import load_signer
from tests.report.conftest import document

CONFIG = """[org]
name = "Example Org"
domain = "example.org"
[roster]
path = "roster.csv"
[state]
dir = "state"
[signing]
key = "keys/offboard_ed25519"
signer = "cc@example.org"
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OFFBOARD_CONFIG", raising=False)
    monkeypatch.delenv("OFFBOARD_STATE_DIR", raising=False)
    (tmp_path / "offboard.toml").write_text(CONFIG)
    return tmp_path


def test_keygen_prints_what_to_publish(workdir, capsys):
    assert run(["keygen"]) == 0
    public = (workdir / "keys" / "offboard_ed25519.pub").read_text().split()
    assert public[2] == "cc@example.org"
    line = f'cc@example.org namespaces="offboard-report@example.org" {public[0]} {public[1]}'
    fingerprint = sshsig.fingerprint(sshsig.blob_from_line(" ".join(public)))
    out = capsys.readouterr()
    assert out.err == ""
    assert out.out == (
        "Created signing key keys/offboard_ed25519 and keys/offboard_ed25519.pub.\n"
        f"Fingerprint: {fingerprint}\n"
        "allowed_signers line (added to keys/allowed_signers; publish it, e.g. in the minutes):\n"
        f"{line}\n"
        "Put this in offboard.toml:\n"
        "[signing]\n"
        'key = "keys/offboard_ed25519"\n'
        'signer = "cc@example.org"\n'
        'allowed_signers = "keys/allowed_signers"\n'
        "Anyone can check a report without offboard:\n"
        "ssh-keygen -Y verify -f allowed_signers -I cc@example.org -n offboard-report@example.org "
        "-s REPORT.json.sig < REPORT.json\n"
    )
    assert (workdir / "keys" / "allowed_signers").read_text() == line + "\n"
    assert run(["keygen"]) == 1
    assert capsys.readouterr().err == (
        f"Error: {workdir}/keys/offboard_ed25519 already exists: offboard never overwrites a signing key; "
        "pass --out for a new path, or remove the old key deliberately\n"
    )


def test_keygen_without_config_and_with_a_passphrase(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OFFBOARD_CONFIG", raising=False)
    assert run(["keygen"]) == 1
    assert capsys.readouterr().err == (
        "Error: who signs? pass --signer EMAIL (the identity for allowed_signers, e.g. cc@example.org)\n"
    )
    monkeypatch.setenv("KEY_PASS", "")
    assert run(["keygen", "--signer", "cc@example.org", "--passphrase-env", "KEY_PASS"]) == 1
    assert capsys.readouterr().err == "Error: $KEY_PASS is empty: export the passphrase in it, then run keygen again\n"
    monkeypatch.setenv("KEY_PASS", "s3cret words")
    assert run(["keygen", "--signer", "cc@example.org", "--out", "k/cc", "--passphrase-env", "KEY_PASS"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Created signing key k/cc and k/cc.pub."
    assert out[3].startswith("cc@example.org ssh-ed25519 AAAA")  # no domain known: no namespaces= option
    assert out[4:] == [
        "Put this in offboard.toml:",
        "[signing]",
        'key = "k/cc"',
        'signer = "cc@example.org"',
        'allowed_signers = "k/allowed_signers"',
        'passphrase_env = "KEY_PASS"',
    ]


def signed_ledger(workdir: Path, count: int) -> Path:
    assert run(["keygen"]) == 0
    config = load_config(str(workdir / "offboard.toml"))
    signer = load_signer(config)
    ledger = Ledger(config.reports_dir)
    for number in range(count):
        ledger.append(document(run_id=f"run-{number}"), signer)
    return config.reports_dir


def test_verify_a_good_ledger(workdir, capsys):
    reports = signed_ledger(workdir, 3)
    capsys.readouterr()
    digest = hashlib.sha256((reports / "000003-m042-expel.json").read_bytes()).hexdigest()
    assert run(["verify"]) == 0
    assert capsys.readouterr().out == (
        "Signed by: cc@example.org\n"
        f"Latest: 000003-m042-expel.json sha256 {digest} (compare it with the one in your minutes)\n"
        "3 reports verified: signatures good, chain intact.\n"
    )
    # a CC member's bare clone: no config, just the reports and the published allowed_signers
    args = ["verify", str(reports / "000001-m042-expel.json"), "--allowed-signers", "keys/allowed_signers"]
    assert run(args) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 report verified: signatures good, chain intact."


def test_verify_names_each_problem_and_exits_1(workdir, capsys):
    reports = signed_ledger(workdir, 4)
    for suffix in (".json", ".json.sig", ".md"):
        (reports / f"000002-m042-expel{suffix}").unlink()
    (reports / "000004-m042-expel.json.sig").unlink()
    capsys.readouterr()
    assert run(["verify"]) == 1
    assert capsys.readouterr().out == (
        "report 000002 is missing: the chain jumps from 000001 to 000003\n"
        "000004-m042-expel.json.sig is missing: 000004-m042-expel.json has no signature\n"
        "2 problems in 3 reports: do not rely on this ledger until they are explained.\n"
    )


def test_verify_errors(workdir, capsys):
    (workdir / "offboard.toml").write_text(CONFIG.replace('key = "keys/offboard_ed25519"\n', ""))
    assert run(["verify"]) == 1
    assert capsys.readouterr().err == (
        "Error: which keys may sign? pass --allowed-signers FILE, or set [signing] allowed_signers in offboard.toml\n"
    )
    assert run(["verify", "--allowed-signers", "nowhere"]) == 1
    assert capsys.readouterr().err == (
        "Error: cannot read allowed_signers file nowhere (No such file or directory): pass --allowed-signers FILE\n"
    )
    (workdir / "allowed_signers").write_text("cc@example.org ssh-ed25519 AAAA\n")
    assert run(["verify", "--allowed-signers", "allowed_signers"]) == 1
    assert capsys.readouterr().err == (
        f"Error: {workdir}/state/reports does not exist: pass a report file or the reports directory\n"
    )


def test_keygen_appends_to_an_existing_allowed_signers(workdir, capsys):
    (workdir / "keys").mkdir()
    (workdir / "keys" / "allowed_signers").write_text("treasurer@example.org ssh-ed25519 AAAAC3Nz")  # no newline
    assert run(["keygen", "--out", str(workdir / "elsewhere" / "key")]) == 0
    out = capsys.readouterr().out
    assert 'key = "elsewhere/key"' in out and 'allowed_signers = "elsewhere/allowed_signers"' in out
    assert run(["keygen", "--out", "keys/second", "--signer", "second@example.org"]) == 0
    lines = (workdir / "keys" / "allowed_signers").read_text().splitlines()
    assert lines[0] == "treasurer@example.org ssh-ed25519 AAAAC3Nz"
    assert lines[1].startswith('second@example.org namespaces="offboard-report@example.org" ssh-ed25519 ')


def test_verify_in_a_bare_clone_says_what_to_pass(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OFFBOARD_CONFIG", raising=False)
    assert run(["verify"]) == 1
    assert capsys.readouterr().err == (
        "Error: no offboard.toml here, so which reports? run `offboard verify DIR --allowed-signers FILE`\n"
    )
    assert run(["verify", "."]) == 1
    assert capsys.readouterr().err == (
        "Error: which keys may sign? pass --allowed-signers FILE, or set [signing] allowed_signers in offboard.toml\n"
    )
