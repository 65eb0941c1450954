"""Signed confirmations in the journal: checked before anything is written, kept beside the confirmation, and
counted only where their signature is (a confirmation handed over to a new run, or an older one, has none)."""

from __future__ import annotations

import pytest

from offboard import operations
from offboard.apply.confirm import ConfirmRequest, Signing, confirm_step
from offboard.apply.journal import Confirmation
from offboard.approvals import Approvers
from offboard.errors import OffboardError
from offboard.report.document import build_document
from offboard.report.signing.keys import FileKeySigner, GeneratedKey, generate_key
from offboard.spi import State
from tests.apply.test_retries import expel, rows

STEP = "bank:remove-signer"
NAMESPACE = "offboard-approval@example.org"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GeneratedKey]:
    folder = tmp_path_factory.mktemp("confirmer-keys")
    return {name: generate_key(folder / name, f"{name}@example.org") for name in ("alice", "bob")}


@pytest.fixture
def keyed(org, keys):
    """The sample org with [approvals] approvers (alice and bob), opened as a session."""
    with (org.root / "offboard.toml").open("a") as handle:
        handle.write('\n[approvals]\napprovers = "keys/approvers"\n')
    org.write("keys/approvers", "".join(f"{n}@example.org {keys[n].public_key_line}\n" for n in ("alice", "bob")))
    with operations.Session.open(str(org.root / "offboard.toml")) as opened:
        yield opened


def signed(keys, name: str, reference: str | None = "bank case 7") -> ConfirmRequest:
    return ConfirmRequest(STEP, "", reference=reference, key=str(keys[name].private_path))


def test_a_signature_the_approvers_file_would_not_count_is_refused_before_anything_is_written(org, keyed, keys):
    run = expel(keyed)
    approvers = Approvers.parse(f"alice@example.org {keys['alice'].public_key_line}\n", "approvers")
    bob = FileKeySigner.from_file(keys["bob"].private_path, lambda: "")
    with pytest.raises(OffboardError) as caught:  # bob's key, claiming to be alice
        confirm_step(keyed.journal, run.run.id, ConfirmRequest(STEP, "", reference="x"), os_user="carol",
                     signing=Signing(NAMESPACE, approvers, bob, "alice@example.org"))
    assert str(caught.value).startswith("the approvers file approvers would not count this confirmation (")
    assert str(caught.value).endswith("): nothing was recorded")
    assert keyed.journal.confirmations(run.run.id) == [] and keyed.journal.confirmation_proofs(run.run.id) == []
    assert rows(keyed, run)[STEP].state is State.MANUAL


def test_a_signed_confirmation_handed_over_to_a_new_run_keeps_its_signature_and_counts_there(org, keyed, keys):
    first = expel(keyed)
    operations.confirm(keyed, first.run.id, signed(keys, "alice"))
    second = expel(keyed)  # takes the step over, with alice's confirmation and its signature
    (proof,) = keyed.journal.confirmation_proofs(second.run.id)
    assert proof is not None and proof["principal"] == "alice@example.org"
    with pytest.raises(OffboardError, match=r"^alice@example\.org already confirmed step"):
        operations.confirm(keyed, second.run.id, signed(keys, "alice", reference=None))
    assert operations.confirm(keyed, second.run.id, signed(keys, "bob")).closed  # the second person only
    assert rows(keyed, second)[STEP].detail == "done, confirmed by alice@example.org and bob@example.org"


def test_confirmations_recorded_without_a_proof_are_reported_without_an_os_user_or_signature(org, session):
    run = expel(session)
    session.journal.add_confirmation(Confirmation(run.run.id, "bank", STEP, "Dana", "2026-11-25T09:00:00Z", "CASE-1",
                                                  None, [], False, None))
    confirm_step(session.journal, run.run.id, ConfirmRequest(STEP, "Eve"), os_user="erin")
    document = build_document(session.journal, session.org, run.run.id)
    assert [(c["by"], c["os_user"], c["signed"]) for c in document["confirmations"]] == [
        ("Dana", None, None), ("Eve", "erin", None)]


def test_the_journal_keeps_the_signature_beside_its_confirmation(org, keyed, keys):
    run = expel(keyed)
    operations.confirm(keyed, run.run.id, signed(keys, "alice"))
    (proof,) = keyed.journal.confirmation_proofs(run.run.id)
    assert proof is not None
    assert (proof["os_user"], proof["principal"], proof["fingerprint"], proof["namespace"]) == (
        "carol", "alice@example.org", keys["alice"].fingerprint, NAMESPACE)
    assert proof["signature"] and proof["signature"].startswith("-----BEGIN SSH SIGNATURE-----")
