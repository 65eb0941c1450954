"""google-api-python-client's services, whose collections are built once and shared by every thread."""

from __future__ import annotations

import threading
from typing import Any


class SharedResource:
    """A service whose collections (``service.users()``, ``.settings()``) are built once, shared.

    google-api-python-client builds a collection anew at each call, creating a method
    object for each of its methods from the discovery document: about 3 ms of CPU per
    request, most of a request's cost, paid under the GIL by every thread. Requests
    themselves (``.get(userKey=...)``) are built fresh each time, as before.
    """

    def __init__(self, resource: Any, lock: threading.Lock) -> None:
        self._resource = resource
        self._lock = lock
        self._collections: dict[str, SharedResource] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._resource, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if args or kwargs:
                return attr(*args, **kwargs)
            with self._lock:
                if name not in self._collections:
                    from googleapiclient.discovery import Resource

                    made = attr()
                    if not isinstance(made, Resource):
                        return made
                    self._collections[name] = SharedResource(made, self._lock)
                return self._collections[name]

        return call
