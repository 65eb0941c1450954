"""The ledger: numbering, chaining, atomic locked appends, and every kind of tampering named."""

from __future__ import annotations

import hashlib
import json
import subprocess
import threading

import pytest
import rfc8785

from offboard.errors import OffboardError
from offboard.report.ledger import Ledger
from offboard.report.verify import verify_ledger
from tests.report.conftest import NAMESPACE, allowed, document, needs_ssh_keygen


def problems(directory, signers, **kwargs) -> list[str]:
    return [str(p) for p in verify_ledger(directory, allowed(signers["ed25519"]), **kwargs).problems]


def test_append_numbers_chains_and_writes_canonical_files(tmp_path, signers):
    ledger = Ledger(tmp_path / "state" / "reports")
    first = ledger.append(document(), signers["ed25519"])
    second = ledger.append(document(member=None, kind="audit", run_id="audit-1"), signers["ed25519"])
    assert [p.name for p in sorted(ledger.directory.iterdir())] == [
        ".lock",
        "000001-m042-expel.json",
        "000001-m042-expel.json.sig",
        "000001-m042-expel.md",
        "000002-org-audit.json",
        "000002-org-audit.json.sig",
        "000002-org-audit.md",
    ]
    assert ledger.directory.stat().st_mode & 0o777 == 0o700
    assert {p.stat().st_mode & 0o777 for p in ledger.directory.iterdir()} == {0o600}
    data = first.json_path.read_bytes()
    assert data == rfc8785.dumps(json.loads(data)) and b"\r" not in data and not data.endswith(b"\n")
    assert first.sha256 == hashlib.sha256(data).hexdigest()
    reports = list(ledger.reports())
    assert [(r["seq"], r["prev_sha256"], r["signed"], r["kind"]) for r in reports] == [
        (1, None, True, "expel"),
        (2, first.sha256, True, "audit"),
    ]
    assert second.sig_path is not None and second.sig_path.name == "000002-org-audit.json.sig"
    assert first.md_path.read_text().startswith("# Expulsion: Bob Example\n\nBob Example (member m042) is expelled from ")


def test_append_refuses_fields_the_ledger_owns(tmp_path):
    with pytest.raises(ValueError, match="the ledger sets seq itself"):
        Ledger(tmp_path).append(document(seq=7), None)


def test_member_ids_become_safe_file_names(tmp_path):
    files = Ledger(tmp_path).append(document(member={"id": "../bob smith", "name": "Bob"}), None)
    assert files.json_path.name == "000001-bob_smith-expel.json" and files.sig_path is None


def test_concurrent_appends_never_share_a_number(tmp_path, signers):
    directory = tmp_path / "reports"

    def append(number: int) -> None:
        Ledger(directory).append(document(run_id=f"run-{number}"), signers["ed25519"])  # own lock fd each

    threads = [threading.Thread(target=append, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r["seq"] for r in Ledger(directory).reports()] == list(range(1, 9))
    assert problems(directory, signers) == []


@needs_ssh_keygen
def test_stock_ssh_keygen_verifies_a_ledger_report(make_ledger, signers):
    directory = make_ledger(2)
    (directory / "allowed_signers").write_text(allowed(signers["ed25519"]))
    command = "ssh-keygen -Y verify -f allowed_signers -I cc@example.org -n offboard-report@example.org"
    done = subprocess.run(
        f"{command} -s 000002-m042-expel.json.sig < 000002-m042-expel.json",
        shell=True, cwd=directory, capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f'Good "{NAMESPACE}" signature for cc@example.org with ED25519 key')


def test_intact_ledger(make_ledger, signers):
    result = verify_ledger(make_ledger(3), allowed(signers["ed25519"]))
    assert result.ok and result.reports == 3 and result.signers == {"cc@example.org"}
    assert result.latest is not None and result.latest[0] == "000003-m042-expel.json"


def test_one_changed_byte(make_ledger, signers):
    directory = make_ledger(3)
    path = directory / "000002-m042-expel.json"
    data = bytearray(path.read_bytes())
    data[data.index(b'"Bob Example"') + 1] = ord("R")  # Bob -> Rob
    path.write_bytes(bytes(data))
    assert problems(directory, signers) == [
        "000002-m042-expel.json was changed after signing: its signature does not match its content",
        "000003-m042-expel.json does not follow 000002-m042-expel.json: 000002-m042-expel.json was changed or "
        "replaced since",
    ]


def test_deleted_report_in_the_middle(make_ledger, signers):
    directory = make_ledger(4)
    for suffix in (".json", ".json.sig", ".md"):
        (directory / f"000002-m042-expel{suffix}").unlink()
    assert problems(directory, signers) == ["report 000002 is missing: the chain jumps from 000001 to 000003"]


def test_deleted_reports_at_the_start_and_a_left_over_signature(make_ledger, signers):
    directory = make_ledger(4)
    for name in ("000001-m042-expel.json", "000002-m042-expel.json"):
        (directory / name).unlink()
    assert problems(directory, signers) == [
        "000001-m042-expel.json is missing but 000001-m042-expel.json.sig is still there: the report was deleted",
        "000002-m042-expel.json is missing but 000002-m042-expel.json.sig is still there: the report was deleted",
        "reports 000001 to 000002 are missing: the chain starts at 000003",
    ]


def test_reordered_reports(make_ledger, signers):
    directory = make_ledger(3)
    for suffix in (".json", ".json.sig", ".md"):
        (directory / f"000002-m042-expel{suffix}").rename(directory / f"swap{suffix}")
        (directory / f"000003-m042-expel{suffix}").rename(directory / f"000002-m042-expel{suffix}")
        (directory / f"swap{suffix}").rename(directory / f"000003-m042-expel{suffix}")
    assert problems(directory, signers) == [
        "000002-m042-expel.json holds report 000003: the file was renamed or the reports reordered",
        "000002-m042-expel.json does not follow 000001-m042-expel.json: 000001-m042-expel.json was changed or "
        "replaced since",
        "000003-m042-expel.json holds report 000002: the file was renamed or the reports reordered",
        "000003-m042-expel.json does not follow 000002-m042-expel.json: 000002-m042-expel.json was changed or "
        "replaced since",
    ]


def test_wrong_signer_and_wrong_namespace(make_ledger, signers):
    directory = make_ledger(2)
    others = allowed(signers["ecdsa"])
    assert [str(p) for p in verify_ledger(directory, others).problems] == [
        f"000001-m042-expel.json: it is signed by a key not in allowed_signers ({signers['ed25519'].fingerprint})",
        f"000002-m042-expel.json: it is signed by a key not in allowed_signers ({signers['ed25519'].fingerprint})",
    ]
    report = directory / "000002-m042-expel.json"
    (directory / "000002-m042-expel.json.sig").write_text(signers["ed25519"].sign(report.read_bytes(), "file"))
    assert problems(directory, signers) == [
        f"000002-m042-expel.json: it is signed for namespace 'file', not '{NAMESPACE}'"
    ]


def test_unsigned_and_missing_signatures(tmp_path, signers):
    ledger = Ledger(tmp_path / "reports")
    ledger.append(document(), signers["ed25519"])
    ledger.append(document(), None)
    assert problems(ledger.directory, signers) == [
        "000002-m042-expel.json is unsigned (written with --unsigned): nothing shows who wrote it"
    ]
    result = verify_ledger(ledger.directory, allowed(signers["ed25519"]), allow_unsigned=True)
    assert result.ok and result.unsigned == 1
    (ledger.directory / "000001-m042-expel.json.sig").unlink()
    assert problems(ledger.directory, signers, allow_unsigned=True) == [
        "000001-m042-expel.json.sig is missing: 000001-m042-expel.json has no signature"
    ]


def test_damaged_report(make_ledger, signers):
    directory = make_ledger(1)
    (directory / "000001-m042-expel.json").write_bytes(b"{not json")
    assert problems(directory, signers)[0] == (
        "000001-m042-expel.json is not a readable report: it was damaged or edited"
    )


def test_one_report_is_checked_with_its_link_to_the_one_before(make_ledger, signers):
    directory = make_ledger(3)
    assert problems(directory / "000003-m042-expel.json", signers) == []
    (directory / "000002-m042-expel.json").write_bytes(b"{}")
    assert problems(directory / "000003-m042-expel.json", signers) == [
        "000003-m042-expel.json does not follow 000002-m042-expel.json: 000002-m042-expel.json was changed or "
        "replaced since"
    ]
    assert problems(directory / "000001-m042-expel.json", signers) == []


def test_nothing_to_verify(tmp_path, signers):
    with pytest.raises(OffboardError, match="holds no reports"):
        verify_ledger(tmp_path, allowed(signers["ed25519"]))
    with pytest.raises(OffboardError, match="does not exist: pass a report file or the reports directory"):
        verify_ledger(tmp_path / "nope", allowed(signers["ed25519"]))


def test_an_append_clears_what_a_crashed_append_left(make_ledger, signers):
    directory = make_ledger(1)
    (directory / "000002-m042-expel.json.sig").write_text("half")  # crashed before its .json was written
    (directory / "000002-m042-expel.md").write_text("half")
    (directory / ".000002-m042-expel.json.x1.tmp").write_bytes(b"half")
    files = Ledger(directory).append(document(member=None, kind="audit"), signers["ed25519"])
    assert files.json_path.name == "000002-org-audit.json"
    assert sorted(p.name for p in directory.glob("000002-*")) == [
        "000002-org-audit.json",
        "000002-org-audit.json.sig",
        "000002-org-audit.md",
    ]
    assert not list(directory.glob("*.tmp")) and problems(directory, signers) == []


def test_damaged_signature_and_bad_allowed_signers(make_ledger, signers):
    directory = make_ledger(1)
    (directory / "000001-m042-expel.json.sig").write_bytes(b"\xff not a signature")
    assert problems(directory, signers) == [
        "000001-m042-expel.json.sig is damaged: this is not an SSH signature (no BEGIN/END SSH SIGNATURE lines)"
    ]
    with pytest.raises(OffboardError, match="allowed_signers line 1 is not valid"):
        verify_ledger(make_ledger(2), "cc@example.org ssh-ed25519\n")
