"""The emulator is strict where Google is: discovery documents, token grants, whose token calls what."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from google.auth import crypt, jwt
from offboard.connectors.google_workspace.doctor import AUTH, DIRECTORY_SCOPES, GMAIL_SCOPES, MAIL_SCOPES
from offboard.connectors.google_workspace.emulator import GoogleEmulator

from tests.connectors.google_workspace.conftest import ANN

ADMIN = "admin@example.org"
DIRECTORY = "/admin/directory/v1"


def _call(emulator: GoogleEmulator, method: str, path: str, token: str = "", body: Any = None,
          form: dict[str, str] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    if form is not None:
        data, headers = urllib.parse.urlencode(form).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(emulator.url + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _assertion(emulator: GoogleEmulator, tmp_path: Path, subject: str, wanted: tuple[str, ...]) -> str:
    info = json.loads(emulator.write_key_file(tmp_path / "sa.json").read_text())
    now = int(time.time())
    return jwt.encode(crypt.RSASigner.from_service_account_info(info), {
        "iss": info["client_email"], "sub": subject, "scope": " ".join(wanted),
        "aud": "https://oauth2.googleapis.com/token", "iat": now, "exp": now + 3600}).decode()


def _grant(emulator: GoogleEmulator, assertion: str) -> tuple[int, Any]:
    return _call(emulator, "POST", "/token", form={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion})


def _token(emulator: GoogleEmulator, tmp_path: Path, subject: str = ADMIN,
           wanted: tuple[str, ...] = DIRECTORY_SCOPES) -> str:
    status, body = _grant(emulator, _assertion(emulator, tmp_path, subject, wanted))
    assert status == 200, body
    return body["access_token"]


def _bad_request(message: str) -> dict[str, Any]:
    return {"error": {"code": 400, "message": message, "status": "INVALID_ARGUMENT",
                      "errors": [{"message": message, "domain": "global", "reason": "badRequest"}]}}


def test_an_unknown_parameter_is_refused_as_google_does(emulator: GoogleEmulator, tmp_path: Path) -> None:
    status, body = _call(emulator, "GET", f"{DIRECTORY}/users/{ANN.email}?fooBar=1", _token(emulator, tmp_path))
    assert status == 400
    assert body == _bad_request('Invalid JSON payload received. Unknown name "fooBar": Cannot bind query parameter. '
                                "Field 'fooBar' could not be found in request message.")


@pytest.mark.parametrize(("method", "path", "body", "message"), [
    ("GET", f"{DIRECTORY}/userz", None, "was not found on this server"),
    ("DELETE", f"{DIRECTORY}/users", None, "Method DELETE is not allowed"),
    ("GET", f"{DIRECTORY}/users?customer=my_customer&maxResults=501", None, "501 is above 500"),
    ("GET", f"{DIRECTORY}/users/{ANN.email}?projection=everything", None, "Invalid value for parameter projection"),
    ("PUT", f"{DIRECTORY}/users/{ANN.email}", {"suspendedd": True}, 'Unknown name "suspendedd"'),
])
def test_requests_outside_the_discovery_document_get_400(emulator: GoogleEmulator, tmp_path: Path, method: str,
                                                         path: str, body: Any, message: str) -> None:
    status, answer = _call(emulator, method, path, _token(emulator, tmp_path), body)
    assert status == 400 and message in answer["error"]["message"]
    assert emulator.user(ANN.email)["suspended"] is False


def test_token_grants_check_signature_subject_and_scopes(emulator: GoogleEmulator, tmp_path: Path) -> None:
    good = _assertion(emulator, tmp_path, ADMIN, DIRECTORY_SCOPES)
    header, payload, signature = good.split(".")
    forged = f"{header}.{payload}.{signature[:-6]}AAAAAA"
    assert _grant(emulator, forged) == (400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    stranger = _assertion(emulator, tmp_path, "nobody@example.org", DIRECTORY_SCOPES)
    assert _grant(emulator, stranger) == (400, {"error": "invalid_grant",
                                                "error_description": "Invalid email or User ID"})
    emulator.revoke_scopes(AUTH + "admin.directory.group")
    status, body = _grant(emulator, good)
    assert status == 401 and body["error"] == "unauthorized_client"
    assert _grant(emulator, _assertion(emulator, tmp_path, ADMIN, DIRECTORY_SCOPES[:2]))[0] == 200


def test_calls_need_a_token_with_the_methods_scope_and_an_admin(emulator: GoogleEmulator, tmp_path: Path) -> None:
    path = f"{DIRECTORY}/users/{ANN.email}"
    status, body = _call(emulator, "GET", path)
    assert status == 401 and body["error"]["errors"][0]["reason"] == "authError"
    status, body = _call(emulator, "GET", path, _token(emulator, tmp_path, wanted=GMAIL_SCOPES))
    assert status == 403 and body["error"]["errors"][0]["reason"] == "insufficientPermissions"
    status, body = _call(emulator, "GET", path, _token(emulator, tmp_path, subject=ANN.email))
    assert (status, body["error"]["message"]) == (403, "Not Authorized to access this resource/api")


def test_gmail_settings_need_the_mailbox_owners_token(emulator: GoogleEmulator, tmp_path: Path) -> None:
    path = f"/gmail/v1/users/{ANN.email}/settings/autoForwarding"
    status, body = _call(emulator, "GET", path, _token(emulator, tmp_path, ADMIN, GMAIL_SCOPES))
    assert (status, body["error"]["message"]) == (403, f"Delegation denied for {ADMIN}")
    own = _token(emulator, tmp_path, ANN.email, GMAIL_SCOPES)
    assert _call(emulator, "GET", path, own)[0] == 200
    assert _call(emulator, "GET", "/gmail/v1/users/me/settings/imap", own) == (
        200, {"enabled": True, "autoExpunge": True, "expungeBehavior": "archive", "maxFolderSize": 0})
    emulator.workspace.user(ANN.email).suspended = True
    status, body = _call(emulator, "GET", path, own)
    assert status == 400 and body["error"]["errors"][0] == {
        "message": "Mail service not enabled", "domain": "global", "reason": "failedPrecondition"}


def test_suspended_users_cannot_be_signed_out_or_have_codes_invalidated(emulator: GoogleEmulator,
                                                                        tmp_path: Path) -> None:
    token = _token(emulator, tmp_path)
    emulator.workspace.user(ANN.email).suspended = True
    for path in ("signOut", "verificationCodes/invalidate"):
        status, body = _call(emulator, "POST", f"{DIRECTORY}/users/{ANN.email}/{path}", token)
        assert status == 400 and body["error"]["errors"][0]["reason"] == "invalid"


def test_rate_limit_and_backend_bodies(emulator: GoogleEmulator, tmp_path: Path) -> None:
    token = _token(emulator, tmp_path)
    emulator.faults.retry_after = 3
    emulator.faults.script.extend(["429", "503"])
    request = urllib.request.Request(f"{emulator.url}{DIRECTORY}/users/{ANN.email}",
                                     headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.headers["Retry-After"] == "3"
    assert json.loads(caught.value.read())["error"]["errors"][0] == {
        "message": "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service "
                   "'admin.googleapis.com'.", "domain": "usageLimits", "reason": "rateLimitExceeded"}
    status, body = _call(emulator, "GET", f"{DIRECTORY}/users/{ANN.email}", token)
    assert status == 503 and body["error"]["errors"][0]["reason"] == "backendError"


def test_token_grants_are_not_counted_as_writes(emulator: GoogleEmulator, tmp_path: Path) -> None:
    _token(emulator, tmp_path)
    assert emulator.requests("POST", "/token") and emulator.writes() == []


def test_users_list_pages_at_most_500(emulator: GoogleEmulator, tmp_path: Path) -> None:
    for i in range(600):
        emulator.add_user(f"user{i:04d}@example.org")
    token = _token(emulator, tmp_path)
    status, first = _call(emulator, "GET", f"{DIRECTORY}/users?customer=my_customer&maxResults=500", token)
    assert status == 200 and len(first["users"]) == 500
    _, second = _call(emulator, "GET", f"{DIRECTORY}/users?customer=my_customer&maxResults=500"
                                       f"&pageToken={first['nextPageToken']}", token)
    assert "nextPageToken" not in second and len(first["users"]) + len(second["users"]) == len(emulator.workspace.users)


def test_change_password_at_next_login_is_kept_as_google_keeps_it(emulator: GoogleEmulator, tmp_path: Path) -> None:
    token = _token(emulator, tmp_path)
    assert _call(emulator, "GET", f"{DIRECTORY}/users/{ANN.email}", token)[1]["changePasswordAtNextLogin"] is False
    status, body = _call(emulator, "PUT", f"{DIRECTORY}/users/{ANN.email}", token,
                         {"password": "a-new-one-123", "changePasswordAtNextLogin": True})
    assert status == 200 and body["changePasswordAtNextLogin"] is True
    _call(emulator, "PUT", f"{DIRECTORY}/users/{ANN.email}", token, {"includeInGlobalAddressList": True})  # untouched
    assert _call(emulator, "GET", f"{DIRECTORY}/users/{ANN.email}", token)[1]["changePasswordAtNextLogin"] is True
    users = _call(emulator, "GET", f"{DIRECTORY}/users?customer=my_customer", token)[1]["users"]
    assert [u["changePasswordAtNextLogin"] for u in users if u["primaryEmail"] == ANN.email] == [True]


# -- Gmail messages: what the written notice uses

SECRETARY = "secretary@example.org"
MESSAGES = "/gmail/v1/users/me/messages"
NOTICE = (b"From: Committee Secretary <secretary@example.org>\r\nTo: ann.lee@gmail.example\r\n"
          b"Subject: Notice\r\nMessage-ID: <notice-1@example.org>\r\n\r\nYou are informed.\r\n")


def _raw(message: bytes) -> str:
    return base64.urlsafe_b64encode(message).decode().rstrip("=")


def _forbidden(message: str) -> dict[str, Any]:
    return {"error": {"code": 403, "message": message, "status": "PERMISSION_DENIED",
                      "errors": [{"message": message, "domain": "global", "reason": "forbidden"}]}}


def test_a_sent_message_is_kept_as_sent_labelled_sent_and_read_back_by_its_headers(
        emulator: GoogleEmulator, tmp_path: Path) -> None:
    token = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES)
    status, sent = _call(emulator, "POST", f"{MESSAGES}/send", token, {"raw": _raw(NOTICE)})
    assert status == 200 and sent == {"id": sent["id"], "threadId": sent["id"], "labelIds": ["SENT"]}
    [kept] = emulator.sent(SECRETARY)
    assert (kept.id, kept.raw, kept.label_ids) == (sent["id"], NOTICE, ("SENT",))  # byte for byte
    status, listed = _call(emulator, "GET", f"{MESSAGES}?labelIds=SENT&maxResults=50", token)
    assert (status, listed) == (200, {"messages": [{"id": sent["id"], "threadId": sent["id"]}], "resultSizeEstimate": 1})
    status, got = _call(emulator, "GET", f"{MESSAGES}/{sent['id']}?format=metadata&metadataHeaders=Message-ID"
                                         "&metadataHeaders=subject", token)
    assert status == 200 and got["payload"]["headers"] == [{"name": "Subject", "value": "Notice"},
                                                           {"name": "Message-ID", "value": "<notice-1@example.org>"}]
    assert (got["labelIds"], got["internalDate"]) == (["SENT"], str(kept.internal_date))
    assert _call(emulator, "GET", f"{MESSAGES}?labelIds=INBOX", token) == (200, {"resultSizeEstimate": 0})
    assert emulator.sent(ADMIN) == []


def test_messages_are_listed_newest_first_page_by_page(emulator: GoogleEmulator, tmp_path: Path) -> None:
    token = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES)
    ids = [_call(emulator, "POST", f"{MESSAGES}/send", token, {"raw": _raw(NOTICE.replace(b"-1@", f"-{i}@".encode()))})[1]["id"]
           for i in range(5)]
    _, first = _call(emulator, "GET", f"{MESSAGES}?labelIds=SENT&maxResults=3", token)
    _, second = _call(emulator, "GET", f"{MESSAGES}?labelIds=SENT&maxResults=3&pageToken={first['nextPageToken']}", token)
    assert [m["id"] for m in first["messages"] + second["messages"]] == ids[::-1]
    assert "nextPageToken" not in second and first["resultSizeEstimate"] == 5


def test_a_send_without_raw_or_recipients_is_refused_and_a_missing_message_id_is_added(
        emulator: GoogleEmulator, tmp_path: Path) -> None:
    token = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES)
    status, body = _call(emulator, "POST", f"{MESSAGES}/send", token, {})
    assert status == 400 and body["error"]["message"] == (
        "'raw' RFC822 payload message string or uploading message via /upload/* URL required")
    status, body = _call(emulator, "POST", f"{MESSAGES}/send", token,
                         {"raw": _raw(b"From: secretary@example.org\r\nSubject: x\r\n\r\nbody\r\n")})
    assert (status, body["error"]["message"]) == (400, "Recipient address required")
    status, body = _call(emulator, "POST", f"{MESSAGES}/send", token, {"raw": _raw(b"To: a@b.example\r\n\r\nhi\r\n")})
    assert status == 200
    assert emulator.sent(SECRETARY)[0].header("Message-ID").endswith("@mail.gmail.com>")


def test_the_metadata_scope_refuses_q_and_the_full_and_raw_formats(emulator: GoogleEmulator, tmp_path: Path) -> None:
    """As Google does whenever the token carries gmail.metadata, even beside gmail.readonly."""
    for wanted in (MAIL_SCOPES, (*MAIL_SCOPES, AUTH + "gmail.readonly")):
        emulator.grant_scopes(*wanted)
        token = _token(emulator, tmp_path, SECRETARY, wanted)
        sent = _call(emulator, "POST", f"{MESSAGES}/send", token, {"raw": _raw(NOTICE)})[1]
        assert _call(emulator, "GET", f"{MESSAGES}?q=rfc822msgid:notice-1@example.org", token) == (
            403, _forbidden("Metadata scope does not support 'q' parameter"))
        assert _call(emulator, "GET", f"{MESSAGES}/{sent['id']}", token) == (
            403, _forbidden("Metadata scope doesn't allow format FULL"))
        assert _call(emulator, "GET", f"{MESSAGES}/{sent['id']}?format=raw", token) == (
            403, _forbidden("Metadata scope doesn't allow format RAW"))
        assert _call(emulator, "GET", f"{MESSAGES}/{sent['id']}?format=metadata", token)[0] == 200


def test_gmail_messages_need_a_scope_of_the_method_and_the_mailbox_owners_token(
        emulator: GoogleEmulator, tmp_path: Path) -> None:
    only_metadata = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES[1:])
    status, body = _call(emulator, "POST", f"{MESSAGES}/send", only_metadata, {"raw": _raw(NOTICE)})
    assert status == 403 and body["error"]["errors"][0]["reason"] == "insufficientPermissions"
    only_send = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES[:1])
    status, body = _call(emulator, "GET", f"{MESSAGES}?labelIds=SENT", only_send)
    assert status == 403 and body["error"]["errors"][0]["reason"] == "insufficientPermissions"
    token = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES)
    for method, path, body in (("POST", f"/gmail/v1/users/{ANN.email}/messages/send", {"raw": _raw(NOTICE)}),
                               ("GET", f"/gmail/v1/users/{ANN.email}/messages", None)):
        assert _call(emulator, method, path, token, body) == (403, _forbidden(f"Delegation denied for {SECRETARY}"))
    assert _call(emulator, "POST", f"/gmail/v1/users/{SECRETARY}/messages/send", token, {"raw": _raw(NOTICE)})[0] == 200
    assert [m.raw for m in emulator.sent(SECRETARY)] == [NOTICE] and emulator.sent(ANN.email) == []
    emulator.workspace.user(SECRETARY).suspended = True
    status, body = _call(emulator, "POST", f"{MESSAGES}/send", token, {"raw": _raw(NOTICE)})
    assert (status, body["error"]["message"]) == (400, "Mail service not enabled")


def test_an_unknown_message_is_not_found(emulator: GoogleEmulator, tmp_path: Path) -> None:
    token = _token(emulator, tmp_path, SECRETARY, MAIL_SCOPES)
    status, body = _call(emulator, "GET", f"{MESSAGES}/18c0ffee00000001?format=metadata", token)
    assert (status, body["error"]["message"]) == (404, "Requested entity was not found.")
    status, body = _call(emulator, "GET", f"{MESSAGES}/not-an-id?format=metadata", token)
    assert (status, body["error"]["message"]) == (400, "Invalid id value")
