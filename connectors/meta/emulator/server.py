"""A stateful fake of Meta's Graph API on 127.0.0.1, for tests, the contract kit and ``offboard demo``.

It answers the subset offboard uses under ``/{version}/...`` (``graph`` routes, ``edges``
answers, ``state`` holds the portfolio). Throttling comes as Meta sends it: HTTP 400 or 403
(not 429) with code 4, 17, 32, 613 or 80001 and the ``X-Business-Use-Case-Usage`` header
saying, in minutes, when access comes back. Every answer reports usage percentages in
``X-App-Usage`` and ``X-Business-Use-Case-Usage``: what ``set_usage`` says, or more when
``calls_per_hour`` is set and the calls of the last hour come near it (Meta's limits are
per rolling hour, and depend on the app's and the Page's users: the emulator takes a number);
past it, calls are refused with code 80001 on a Page and 4 elsewhere until the hour rolls on.
"""

from __future__ import annotations

import json
import math
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from offboard.testing.emulation import Emulator, Faults, Request, Response

from . import edges, graph
from .state import Business

VERSIONS = ("v23.0", "v24.0", "v25.0")
THROTTLE_MESSAGES = {
    4: "(#4) Application request limit reached",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    613: "(#613) Calls to this api have exceeded the rate limit.",
    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again. For more info, "
           "please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
}


@dataclass
class Throttle:
    code: int
    status: int
    minutes: int
    match: str


class MetaEmulator(Emulator):
    """Fake Graph API. Controls: ``throttle``, ``set_usage``, ``expire_token``, ``issue_token``; the portfolio is
    ``business`` (``state.Business``: add people, Pages, outsiders, Instagram; remove, re-invite)."""

    name = "meta"

    def __init__(self, business_name: str = "Example Volunteers", faults: Faults | None = None,
                 versions: Iterable[str] = VERSIONS, calls_per_hour: int | None = None) -> None:
        super().__init__(faults)
        self.calls_per_hour = calls_per_hour
        self._calls: deque[float] = deque()
        self.versions = tuple(versions)
        self.business = Business(business_name)
        self.system_user_id = self.business.add_system_user("offboard")
        self.token = self.business.issue_token(self.system_user_id)
        self.usage = 1  # percent reported in every usage header
        self.regain_minutes = 0
        self.app_usage = 1
        self._throttles: deque[Throttle] = deque()

    # ------------------------------------------------------------ controls

    def issue_token(self, permissions: Iterable[str] | None = None) -> str:
        """Another token of the system user, with only ``permissions`` (all of them by default)."""
        with self.lock:
            return self.business.issue_token(self.system_user_id, None if permissions is None else frozenset(permissions))

    def expire_token(self, token: str, how: str = "expired") -> None:
        """``expired`` (code 190, subcode 463) or ``invalidated`` (subcode 460); the Page tokens made from it too."""
        with self.lock:
            self.business.tokens[token].invalid = how
            for info in self.business.tokens.values():
                if info.page_id is not None and info.user_id == self.business.tokens[token].user_id:
                    info.invalid = how

    def throttle(self, times: int = 1, code: int = 80001, status: int = 400, minutes: int = 0, match: str = "") -> None:
        """The next ``times`` requests whose path contains ``match`` are refused with Meta's throttling ``code``."""
        with self.lock:
            self._throttles.extend([Throttle(code, status, minutes, match)] * times)

    def set_usage(self, percent: int, regain_minutes: int = 0, app_percent: int | None = None) -> None:
        """The usage every answer reports from now on (percent of the limit; minutes until access comes back)."""
        with self.lock:
            self.usage, self.regain_minutes = percent, regain_minutes
            if app_percent is not None:
                self.app_usage = app_percent

    def secrets(self) -> list[str]:
        """Every token issued so far, Page tokens included: none may show in the connector's output."""
        with self.lock:
            return list(self.business.tokens)

    # ------------------------------------------------------------ HTTP surface

    def _hour(self) -> tuple[int, int]:
        """The share of ``calls_per_hour`` used in the last hour (percent), and minutes until the oldest call ages out."""
        if not self.calls_per_hour:
            return 0, 0
        now = time.monotonic()
        while self._calls and now - self._calls[0] >= 3600:
            self._calls.popleft()
        percent = len(self._calls) * 100 // self.calls_per_hour
        left = math.ceil((3600 - (now - self._calls[0])) / 60) if self._calls and percent >= 100 else 0
        return percent, left

    def usage_headers(self, object_id: str, kind: str) -> dict[str, str]:
        percent, left = self._hour()
        used = max(self.usage, percent)
        buc = {object_id or self.business.id: [{"type": kind or "pages", "call_count": used,
                                                "total_cputime": max(1, used // 2), "total_time": used,
                                                "estimated_time_to_regain_access": max(self.regain_minutes, left)}]}
        app = {"call_count": self.app_usage, "total_cputime": 1, "total_time": 1}
        return {"X-Business-Use-Case-Usage": json.dumps(buc), "X-App-Usage": json.dumps(app)}

    def handle(self, request: Request) -> Response:
        with self.lock:
            throttle = next((t for t in self._throttles if t.match in request.path), None)
            if throttle is not None:
                self._throttles.remove(throttle)
                return self._throttled(throttle)
            percent, left = self._hour()
            if percent >= 100:
                parts = request.path.strip("/").split("/")
                on_page = len(parts) > 1 and parts[1] in self.business.pages
                return self._throttled(Throttle(80001 if on_page else 4, 400, left, ""))
            if self.calls_per_hour:
                self._calls.append(time.monotonic())
            return graph.answer(self, request, edges.ROUTES)

    def _throttled(self, throttle: Throttle) -> Response:
        fault = graph.error(throttle.status, THROTTLE_MESSAGES.get(throttle.code, f"(#{throttle.code}) Rate limited"),
                            throttle.code)
        headers = self.usage_headers(self.business.id, "pages")
        buc = json.loads(headers["X-Business-Use-Case-Usage"])
        for entry in buc[self.business.id]:
            entry.update(call_count=100, estimated_time_to_regain_access=throttle.minutes)
        headers["X-Business-Use-Case-Usage"] = json.dumps(buc)
        return Response(fault.response.status, fault.response.body, headers)

    def throttled(self, request: Request, retry_after: float) -> Response:
        """The fault knobs' "429": Meta throttles with HTTP 400 and code 613, the wait in the usage header."""
        return self._throttled(Throttle(613, 400, math.ceil(retry_after / 60), ""))

    def server_error(self, request: Request, status: int) -> Response:
        fault = graph.error(status, "An unexpected error has occurred. Please retry your request later.", 2)
        body = dict(fault.response.body)
        body["error"] = {**body["error"], "is_transient": True}
        return Response(status, body)
