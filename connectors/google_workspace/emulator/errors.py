"""Google's error bodies, exactly as its JSON APIs send them."""

from __future__ import annotations

from offboard.testing.emulation import Response

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          409: "ALREADY_EXISTS", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL",
          502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class ApiError(Exception):
    """Raised by a handler; becomes Google's error body."""

    def __init__(self, code: int, message: str, reason: str, domain: str = "global", status: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.response = google_error(code, message, reason, domain, status, headers)


def google_error(code: int, message: str, reason: str, domain: str = "global", status: str = "",
                 headers: dict[str, str] | None = None) -> Response:
    body = {"error": {"code": code, "message": message,
                      "errors": [{"message": message, "domain": domain, "reason": reason}],
                      "status": status or STATUS.get(code, "UNKNOWN")}}
    return Response(code, body, headers or {})


def not_found(what: str) -> ApiError:
    return ApiError(404, f"Resource Not Found: {what}", "notFound")


def bad_request(message: str, reason: str = "invalid") -> ApiError:
    return ApiError(400, message, reason)


def rate_limited(code: int, retry_after: str | None = None) -> Response:
    """Google's per-user rate limit answer: 429, or 403 as the Directory API still sends it."""
    message = ("Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
               "of service 'admin.googleapis.com'.")
    reason = "rateLimitExceeded" if code == 429 else "userRateLimitExceeded"
    return google_error(code, message, reason, "usageLimits", "RESOURCE_EXHAUSTED",
                        {"Retry-After": retry_after} if retry_after else None)


SCRIPTED = {400: ("Bad Request", "badRequest"), 401: ("Login Required.", "required"),
            404: ("Resource Not Found", "notFound"), 409: ("Entity already exists.", "duplicate"),
            412: ("Precondition Failed", "conditionNotMet")}


def scripted_error(code: int) -> Response:
    """The answer to a fault the test scripted by status: rate limits, backend errors, or a plain 4xx."""
    if code in (403, 429):
        return rate_limited(code)
    if code in SCRIPTED:
        return google_error(code, *SCRIPTED[code])
    message = "The service is currently unavailable." if code == 503 else "Internal error encountered."
    return google_error(code, message, "backendError")


PROJECT = "123456789012"  # the service account's Cloud project, as Google's message names it
API_TITLES = {"admin": "Admin SDK API", "gmail": "Gmail API", "licensing": "Enterprise License Manager API"}


def api_disabled(service: str) -> Response:
    """An API the service account's project has not enabled, as Google answers it."""
    message = (f"{API_TITLES[service]} has not been used in project {PROJECT} before or it is disabled. Enable it by "
               f"visiting https://console.developers.google.com/apis/api/{service}.googleapis.com/overview?project="
               f"{PROJECT} then retry. If you enabled this API recently, wait a few minutes for the action to "
               "propagate to our systems and retry.")
    return google_error(403, message, "accessNotConfigured", "usageLimits", "PERMISSION_DENIED")
