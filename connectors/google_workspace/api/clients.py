"""The transport: credentials, one Http per thread, shared services, token grants, no retries.

No hidden retry anywhere: requests run with ``num_retries=0`` (google-api-python-client's
default, said explicitly; batches have no retry of their own, no media uploads are used, and the
discovery documents are the bundled ones, so ``build`` sends nothing), token grants with google-auth's retries off,
and every Http sends each request once (``transport``: httplib2 would re-send a POST whose
answer was lost). google-auth's ``AuthorizedHttp`` sends a request again only after a 401,
with a new token: a request refused for its token was not applied.

httplib2 is not thread-safe and the engine applies actions from several threads, so each
thread sends through its own kept-alive ``Http`` (``request.execute(http=...)``, as the
library's thread-safety guide says). Services and their collections are built once and
shared, under a lock: building them is most of a request's CPU. Credentials (one per
subject and scope set) are shared and refreshed by one thread at a time, with
google-auth's own retries off: the engine owns retries. Clients come from the discovery
documents bundled with google-api-python-client, pointed at ``api_endpoint`` when set.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

from offboard.spi import AuthError, ConfigError, ConnectorError, check_endpoint

from ..errors import (
    TRANSPORT_ERRORS,
    from_http_error,
    from_refresh_error,
    from_transport_error,
    missing_scopes_error,
    oauth_error,
)
from .resources import SharedResource
from .transport import AnswerLost, http_class

HTTP_TIMEOUT = 30.0
APIS = {"directory": ("admin", "directory_v1"), "datatransfer": ("admin", "datatransfer_v1"),
        "licensing": ("licensing", "v1"), "gmail": ("gmail", "v1")}


@cache
def _credentials_class() -> type[Any]:
    from google.oauth2 import _client, service_account

    class NoRetryCredentials(service_account.Credentials):
        """Service-account credentials whose token grant is tried once: retries are the engine's."""

        def _perform_refresh_token(self, request: Any) -> None:
            assertion = self._make_authorization_grant_assertion()
            self.token, self.expiry, _ = _client.jwt_grant(request, self._token_uri, assertion, can_retry=False)

        def refresh(self, request: Any) -> None:
            """One grant at a time: threads that found the token missing wait for it, not ask again."""
            with self.__dict__.setdefault("_offboard_refresh_lock", threading.Lock()):
                if not self.valid:
                    super().refresh(request)

    return NoRetryCredentials


def _refresh(authed: Any) -> None:
    """Refresh the token of an ``AuthorizedHttp`` through its own Http, unless it is still valid."""
    import google_auth_httplib2

    if not authed.credentials.valid:
        authed.credentials.refresh(google_auth_httplib2.Request(authed.http))


class GoogleClients:
    """Builds and runs API requests as the admin or as a user, classifying every failure."""

    def __init__(self, key_file: Path, admin: str, api_endpoint: str = "", insecure_endpoint: bool = False) -> None:
        self.key_file = key_file
        self.admin = admin
        self.api_endpoint = api_endpoint
        self.insecure_endpoint = insecure_endpoint  # plain http to this machine allowed (an emulator's token_uri)
        self._lock = threading.Lock()
        self._credentials: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._key: Any = None  # ``_key_credentials``
        self._key_lock = threading.Lock()
        self._local = threading.local()
        self._https: list[Any] = []
        self._services: dict[tuple[str, str, tuple[str, ...]], SharedResource] = {}
        self._build_lock = threading.Lock()

    # -- identity

    def _key_info(self) -> dict[str, Any]:
        try:
            info = json.loads(self.key_file.read_text())
        except FileNotFoundError:
            raise AuthError(f"service account key file {self.key_file} does not exist") from None
        except (OSError, ValueError) as exc:
            raise AuthError(f"service account key file {self.key_file} cannot be read as JSON "
                            f"({type(exc).__name__})") from None
        if info.get("type") != "service_account" or not info.get("client_email"):
            raise AuthError(f"{self.key_file} is not a service account key (download a JSON key of the "
                            "service account in Google Cloud console > IAM > Service accounts > Keys)")
        try:  # the token grant sends a signed assertion there: never over plain http to another host
            check_endpoint(str(info.get("token_uri") or ""), self.insecure_endpoint,
                           f"service account key file {self.key_file}: token_uri")
        except ConfigError as exc:
            raise AuthError(str(exc)) from None
        return info

    def token_uri(self) -> str:
        """The key file's token endpoint, '' when the file cannot be read (doctor says why elsewhere)."""
        try:
            return str(self._key_info().get("token_uri") or "")
        except AuthError:
            return ""

    @property
    def client_id(self) -> str:
        return str(self._key_info().get("client_id", "?"))

    def _new_credentials(self, subject: str, scopes: Sequence[str]) -> Any:
        return self._key_credentials().with_subject(subject).with_scopes(list(scopes))

    def _key_credentials(self) -> Any:
        """The key file's credentials, for no subject and no scope: its private key is read once per process.

        Reading an RSA key checks it, about 50 ms of CPU; each subject and scope set has credentials of its
        own (``with_subject``, ``with_scopes``: copies sharing the key), two of them before the first grant."""
        with self._key_lock:
            if self._key is None:
                try:
                    self._key = _credentials_class().from_service_account_info(self._key_info())
                except ValueError as exc:  # a damaged private key; its text is not quoted
                    raise AuthError(f"service account key file {self.key_file} is not usable: "
                                    f"{type(exc).__name__}") from None
            return self._key

    def credentials(self, subject: str, scopes: Sequence[str]) -> Any:
        """Shared by all threads: one token grant per subject and scope set, refreshed when it expires."""
        key = (subject.lower(), tuple(scopes))
        with self._lock:
            if key not in self._credentials:
                self._credentials[key] = self._new_credentials(subject, scopes)
            return self._credentials[key]

    # -- services

    def _http(self) -> Any:
        http = http_class()(timeout=HTTP_TIMEOUT)  # sends each request once: see ``transport``
        with self._lock:
            self._https.append(http)
        return http

    def service(self, api: str, subject: str, scopes: Sequence[str]) -> Any:
        """The client for ``api`` acting as ``subject``, shared by every thread (see ``run``)."""
        key = (api, subject.lower(), tuple(scopes))
        with self._build_lock:
            if key not in self._services:
                from google_auth_httplib2 import AuthorizedHttp
                from googleapiclient.discovery import build

                name, version = APIS[api]
                # The service's own Http is never used: run() sends through the calling thread's.
                authed = AuthorizedHttp(self.credentials(subject, scopes), http=self._http())
                options = {"api_endpoint": self.api_endpoint} if self.api_endpoint else None
                self._services[key] = SharedResource(build(name, version, http=authed, static_discovery=True,
                                                           cache_discovery=False, client_options=options),
                                                     self._build_lock)
            return self._services[key]

    def _thread_http(self, subject: str, scopes: Sequence[str]) -> Any:
        """This thread's authorized Http for ``subject``: one Http per thread, kept alive."""
        https = getattr(self._local, "https", None)
        if https is None:
            https = self._local.https = {}
        key = (subject.lower(), tuple(scopes))
        if key not in https:
            from google_auth_httplib2 import AuthorizedHttp

            plain = getattr(self._local, "plain", None)
            if plain is None:
                plain = self._local.plain = self._http()
            https[key] = AuthorizedHttp(self.credentials(subject, scopes), http=plain)
        return https[key]

    def run(self, request: Any, what: str, subject: str, scopes: Sequence[str], *,
            http_error: Callable[[Any, str], ConnectorError] = from_http_error,
            answer_lost: Callable[[AnswerLost, str], ConnectorError] = from_transport_error) -> Any:
        """Execute one request, once, through this thread's Http; failures become ``ConnectorError``s.

        ``http_error`` classifies Google's error answers and ``answer_lost`` a connection that ended
        after a request was written in full (the token grant's or this one's: ``AnswerLost.target``
        says which); by default both as the rest of the connector does.
        """
        return self.send_once(lambda http: request.execute(http=http, num_retries=0), what, subject, scopes,
                              http_error, answer_lost)

    def fresh_token(self, subject: str, scopes: Sequence[str], what: str) -> None:
        """A valid token for ``subject``: granted now unless one is held (tokens are reused while valid)."""
        self.send_once(_refresh, what, subject, scopes)

    def ready_to_grant(self, subjects: Sequence[tuple[str, Sequence[str]]]) -> None:
        """Load google-auth and httplib2 and make these subjects' credentials (the key read once), in the
        calling thread, before other threads start loading google-api-python-client: so that the token
        grants, the first requests of a discovery, are not held back by the clients, which then load and
        build while the grants are in flight. A failure is for the requests that need the credentials to report."""
        import google_auth_httplib2  # noqa: F401  (with httplib2: the grant's transport)

        http_class()
        for subject, scopes in subjects:
            with suppress(ConnectorError):
                self.credentials(subject, scopes)

    def warm(self, subject: str, scopes: Sequence[str], apis: Sequence[str] = ()) -> None:
        """Get ``subject``'s token, then build its ``apis``' clients, ahead of the requests that need them;
        a failure is theirs to report."""
        from google.auth.exceptions import RefreshError, TransportError
        from httplib2 import HttpLib2Error

        try:
            _refresh(self._thread_http(subject, scopes))
            for api in apis:
                self.service(api, subject, scopes)
        except (ConnectorError, RefreshError, TransportError, HttpLib2Error, *TRANSPORT_ERRORS):
            pass

    def send_once(self, send: Callable[[Any], Any], what: str, subject: str, scopes: Sequence[str],
                  http_error: Callable[[Any, str], ConnectorError] = from_http_error,
                  answer_lost: Callable[[AnswerLost, str], ConnectorError] = from_transport_error) -> Any:
        """``send(http)`` with this thread's authorized Http for ``subject``: a request, a batch, a token grant."""
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError
        from httplib2 import HttpLib2Error

        try:
            return send(self._thread_http(subject, scopes))
        except HttpError as exc:
            raise http_error(exc, what) from None
        except RefreshError as exc:
            raise self._refresh_error(exc, what, subject, scopes) from None
        except AnswerLost as exc:
            raise answer_lost(exc, what) from None
        except (TransportError, HttpLib2Error, *TRANSPORT_ERRORS) as exc:
            raise from_transport_error(exc, what) from None

    # -- token grants

    def _refresh_error(self, exc: BaseException, what: str, subject: str, scopes: Sequence[str]) -> ConnectorError:
        if oauth_error(exc)[0] == "unauthorized_client":  # name the scopes missing, by asking for each
            return missing_scopes_error(self.client_id, subject, self.missing_scopes(subject, scopes) or list(scopes))
        return from_refresh_error(exc, what, subject)

    def grant(self, subject: str, scopes: Sequence[str]) -> str:
        """Ask for a token for exactly these scopes: '' when granted, else Google's error code."""
        import google_auth_httplib2
        from google.auth.exceptions import RefreshError, TransportError
        from httplib2 import HttpLib2Error

        credentials = self._new_credentials(subject, scopes)
        http = http_class()(timeout=HTTP_TIMEOUT)
        try:
            credentials.refresh(google_auth_httplib2.Request(http))
        except RefreshError as exc:
            return oauth_error(exc)[0] or "refused"
        except (TransportError, HttpLib2Error, *TRANSPORT_ERRORS) as exc:
            token_uri = self._key_info().get("token_uri")
            raise from_transport_error(exc, f"reaching the token endpoint {token_uri}") from None
        finally:
            http.close()
        return ""

    def missing_scopes(self, subject: str, scopes: Sequence[str]) -> list[str]:
        """The scopes Google refuses to delegate, found by asking for each one alone."""
        return [scope for scope in scopes if self.grant(subject, [scope]) == "unauthorized_client"]

    def close(self) -> None:
        with self._lock:
            for http in self._https:
                http.close()
            self._https.clear()
            self._credentials.clear()
        with self._key_lock:
            self._key = None
        with self._build_lock:
            self._services.clear()
        self._local = threading.local()
