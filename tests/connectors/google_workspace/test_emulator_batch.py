"""The emulator answers ``/batch/...`` as Google does, on the wire: multipart/mixed both ways, each call
answered under ``response-<its Content-ID>``, checked, faulted and logged as a plain request."""

from __future__ import annotations

import urllib.error
import urllib.request
from email.parser import BytesParser
from email.policy import compat32

import pytest
from offboard.connectors.google_workspace import GoogleWorkspaceConnector
from offboard.connectors.google_workspace.emulator import GoogleEmulator

USERS = "/admin/directory/v1/users"


def admin_token(connector: GoogleWorkspaceConnector) -> str:
    gw = connector.gateway
    gw.clients.fresh_token(gw.admin, gw.admin_scopes, "a test's token")
    return str(gw.clients.credentials(gw.admin, gw.admin_scopes).token)


def post(emulator: GoogleEmulator, path: str, token: str, calls: list[str],
         content_type: str = "multipart/mixed; boundary=xyz") -> tuple[int, str, dict[str, tuple[int, str]]]:
    """Send ``calls`` (each ``METHOD target``) in one batch; the status, content type and each answer by id."""
    body = "".join(f"--xyz\r\nContent-Type: application/http\r\nContent-ID: <b + {i}>\r\n\r\n{call} HTTP/1.1\r\n"
                   f"Accept: application/json\r\n\r\n\r\n" for i, call in enumerate(calls)) + "--xyz--\r\n"
    request = urllib.request.Request(emulator.url + path, data=body.encode(), method="POST", headers={
        "Content-Type": content_type, "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request) as answer:
            status, ctype, content = answer.status, answer.headers["Content-Type"], answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], {}
    message = BytesParser(policy=compat32).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + content)
    answers = {}
    for part in message.get_payload():
        http = part.get_payload()
        answers[part["Content-ID"]] = (int(http.split(" ", 2)[1]), http.split("\r\n\r\n", 1)[1])
    return status, ctype, answers


def test_each_call_is_answered_under_its_own_id_and_logged(emulator: GoogleEmulator,
                                                           connector: GoogleWorkspaceConnector) -> None:
    token = admin_token(connector)
    emulator.clear_log()
    status, ctype, answers = post(emulator, "/batch/admin/directory_v1", token, [
        f"GET {USERS}/ann.lee%40example.org",
        f"GET {USERS}/nobody%40example.org",
        f"GET {USERS}/ann.lee%40example.org?colour=red",  # not a parameter of users.get
        "GET /gmail/v1/users/ann.lee%40example.org/settings/pop",  # another API's call
    ])
    assert status == 200 and ctype.startswith("multipart/mixed; boundary=")
    assert {k: v[0] for k, v in answers.items()} == {"<response-b + 0>": 200, "<response-b + 1>": 404,
                                                     "<response-b + 2>": 400, "<response-b + 3>": 400}
    assert '"primaryEmail": "ann.lee@example.org"' in answers["<response-b + 0>"][1]
    assert 'Unknown name \\"colour\\"' in answers["<response-b + 2>"][1]
    [(batch, parts)] = emulator.batches()
    assert [p.status for p in parts] == [200, 404, 400, 400] and batch.status == 200
    assert len(emulator.log) == 5 and emulator.writes() == []  # four calls and the batch; nothing written


def test_a_fault_answers_one_call_inside_an_answered_batch(emulator: GoogleEmulator,
                                                           connector: GoogleWorkspaceConnector) -> None:
    token = admin_token(connector)
    emulator.faults.retry_after = 4
    emulator.faults.script_match = "archive"
    emulator.faults.script.append("429")
    status, _, answers = post(emulator, "/batch/admin/directory_v1", token,
                              [f"GET {USERS}/ann.lee%40example.org", f"GET {USERS}/archive%40example.org"])
    assert status == 200 and [a[0] for a in answers.values()] == [200, 429]
    assert '"reason": "rateLimitExceeded"' in answers["<response-b + 1>"][1]


def test_a_call_without_a_token_of_its_own_uses_the_batchs(emulator: GoogleEmulator,
                                                           connector: GoogleWorkspaceConnector) -> None:
    status, _, answers = post(emulator, "/batch/admin/directory_v1", "not-a-token", [f"GET {USERS}/ann.lee%40example.org"])
    assert status == 200 and [a[0] for a in answers.values()] == [401]


@pytest.mark.parametrize(("path", "calls", "content_type"), [
    ("/batch/gmail/v1", 101, "multipart/mixed; boundary=xyz"),  # Gmail takes 100 calls a batch
    ("/batch/admin/directory_v1", 1001, "multipart/mixed; boundary=xyz"),  # the Directory API 1,000
    ("/batch/admin/directory_v1", 1, "application/json"),
    ("/batch/admin/directory_v9", 1, "multipart/mixed; boundary=xyz"),
])
def test_a_batch_google_would_refuse_is_refused_whole(emulator: GoogleEmulator, connector: GoogleWorkspaceConnector,
                                                      path: str, calls: int, content_type: str) -> None:
    token = admin_token(connector)
    emulator.clear_log()
    status, _, _ = post(emulator, path, token, [f"GET {USERS}/ann.lee%40example.org"] * calls, content_type)
    assert status in (400, 404)
    assert [r.path for r in emulator.log] == [path]  # no call was answered

