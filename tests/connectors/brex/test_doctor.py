"""``offboard doctor``: every problem with the token as a sentence with its fix; nothing written, ever."""

from __future__ import annotations

from offboard.connectors.brex.emulator import BrexEmulator

from tests.connectors.brex.conftest import STEPS, connect


def test_a_good_token_has_no_problem_and_the_doctor_only_reads(emulator: BrexEmulator) -> None:
    assert connect(emulator).test_connection() == []
    assert [(r.method, r.path) for r in emulator.log] == [("GET", "/v2/users/me"), ("GET", "/v2/cards")]
    assert emulator.log[1].query == {"user_id": [emulator.admin_id], "limit": ["1"]}
    assert connect(emulator, token=emulator.issue_token(["users.readonly", "cards.readonly"])).test_connection() == []
    assert emulator.writes() == []


def test_a_bad_or_expired_token_is_the_one_problem(emulator: BrexEmulator) -> None:
    [bad] = connect(emulator, token="bxt_wrong").test_connection()
    assert bad.startswith("Brex refused the token in BREX_API_TOKEN (HTTP 401") and bad.endswith(STEPS)
    emulator.expire(emulator.admin_token)
    [expired] = connect(emulator).test_connection()
    assert expired.startswith("Brex says the token in BREX_API_TOKEN expired")
    [unset] = connect(emulator, environ={}).test_connection()
    assert unset == "environment variable BREX_API_TOKEN is not set: export it with the credential"


def test_missing_scopes_are_named(emulator: BrexEmulator) -> None:
    [cards] = connect(emulator, token=emulator.issue_token(["users"])).test_connection()
    assert cards == ("Brex refused to list cards (a check of the cards scope) (HTTP 403 FORBIDDEN: PERMISSION_DENIED: "
                     "Insufficient scopes): the token in BREX_API_TOKEN lacks the scope cards.readonly or cards, or its "
                     f"user is not an account admin or card admin; {STEPS}")
    [users] = connect(emulator, token=emulator.issue_token(["cards"])).test_connection()
    assert "lacks the scope users.readonly or users" in users


def test_a_token_of_a_user_who_is_no_longer_active(emulator: BrexEmulator) -> None:
    with emulator.lock:
        emulator.account.users[emulator.admin_id].status = "DISABLED"
    assert connect(emulator).test_connection() == [
        "the token belongs to Finance Admin, whose Brex account is DISABLED: create the token as an active account "
        "admin or card admin"]
