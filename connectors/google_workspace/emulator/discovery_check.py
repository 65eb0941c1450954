"""Strictness for the emulator: every request is checked against Google's discovery documents.

The documents are the ones bundled in google-api-python-client, the same ones the
connector's client is built from, so a request the real API would refuse (a path or
method that does not exist, an unknown or malformed parameter, a body field the
resource does not have) is refused here too, with a 400 as Google sends it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

# The APIs a run uses: Directory, Gmail settings, Data Transfer and Licensing.
DOCUMENTS = ("admin.directory_v1", "gmail.v1", "admin.datatransfer_v1", "licensing.v1")


class Rejected(Exception):
    """The request does not fit the discovery document; ``str`` is Google's message."""


@dataclass(frozen=True)
class ApiMethod:
    """One method of one API, as its discovery document declares it."""

    id: str  # "directory.users.get"
    http_method: str
    pattern: re.Pattern[str]
    parameters: Mapping[str, Mapping[str, Any]]  # the method's own and the API's global ones
    scopes: frozenset[str]
    body_fields: frozenset[str] | None  # top-level fields of the request body, None if it takes none
    literal_weight: int  # literal characters in the path: the most specific template wins
    prefix: str  # the path's literal start: a quick test before the pattern (a batch checks hundreds of calls)

    def check_query(self, query: Mapping[str, list[str]]) -> None:
        for name, values in query.items():
            spec = self.parameters.get(name)
            if spec is None or spec.get("location") == "path":
                raise Rejected(
                    f'Invalid JSON payload received. Unknown name "{name}": Cannot bind query parameter. '
                    f"Field '{name}' could not be found in request message."
                )
            if len(values) > 1 and not spec.get("repeated"):
                raise Rejected(f"Invalid value for parameter {name}: repeated, but it takes one value")
            for value in values:
                _check_value(name, value, spec)
        for name, spec in self.parameters.items():
            if spec.get("required") and spec.get("location") == "query" and name not in query:
                raise Rejected(f"Required parameter: {name}")

    def check_body(self, body: bytes) -> None:
        if self.body_fields is None:
            return
        try:
            document = json.loads(body or b"{}")
        except ValueError as exc:
            raise Rejected(f"Invalid JSON payload received. {exc}") from None
        if not isinstance(document, dict):
            raise Rejected("Invalid JSON payload received. Expected an object.")
        for name in document:
            if name not in self.body_fields:
                raise Rejected(f'Invalid JSON payload received. Unknown name "{name}": Cannot find field.')


def _check_value(name: str, value: str, spec: Mapping[str, Any]) -> None:
    if "enum" in spec and value not in spec["enum"]:
        raise Rejected(f"Invalid value for parameter {name}: {value}")
    if spec.get("type") == "integer":
        try:
            number = int(value)
        except ValueError:
            raise Rejected(f"Invalid value '{value}'. Values must match the following regular expression: "
                           "'-?\\d+'") from None
        if "minimum" in spec and number < int(spec["minimum"]):
            raise Rejected(f"Invalid value for parameter {name}: {value} is below {spec['minimum']}")
        if "maximum" in spec and number > int(spec["maximum"]):
            raise Rejected(f"Invalid value for parameter {name}: {value} is above {spec['maximum']}")
    if spec.get("type") == "boolean" and value not in ("true", "false"):
        raise Rejected(f"Invalid value for parameter {name}: {value}")


def documents_dir() -> Path:
    import googleapiclient

    return Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def _walk(resource: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    methods = list(resource.get("methods", {}).values())
    for child in resource.get("resources", {}).values():
        methods += _walk(child)
    return methods


def _template_regex(template: str) -> tuple[re.Pattern[str], int]:
    """``users/{userKey}`` matches one segment; ``{+orgUnitPath}`` (reserved expansion) several."""
    parts = re.split(r"(\{\+?[A-Za-z0-9_]+\})", template)
    regex, weight = "", 0
    for part in parts:
        if part.startswith("{+"):
            regex += f"(?P<{part[2:-1]}>.+)"
        elif part.startswith("{"):
            regex += f"(?P<{part[1:-1]}>[^/]+)"
        else:
            regex += re.escape(part)
            weight += len(part)
    return re.compile(f"^/{regex}$"), weight


@cache
def load_methods() -> tuple[ApiMethod, ...]:
    """Every method of the bundled documents the emulator serves, most specific path first."""
    methods: list[ApiMethod] = []
    for name in DOCUMENTS:
        doc = json.loads((documents_dir() / f"{name}.json").read_text())
        schemas = doc.get("schemas", {})
        for m in _walk(doc):
            pattern, weight = _template_regex(doc.get("servicePath", "") + m["path"])
            request = m.get("request", {}).get("$ref")
            body_fields = frozenset(schemas[request].get("properties", {})) if request else None
            methods.append(ApiMethod(
                id=m["id"],
                http_method=m["httpMethod"],
                pattern=pattern,
                parameters={**doc.get("parameters", {}), **m.get("parameters", {})},
                scopes=frozenset(m.get("scopes", ())),
                body_fields=body_fields,
                literal_weight=weight,
                prefix="/" + (doc.get("servicePath", "") + m["path"]).split("{", 1)[0],
            ))
    methods.sort(key=lambda m: -m.literal_weight)
    return tuple(methods)


@lru_cache(maxsize=1024)
def match(http_method: str, path: str) -> tuple[ApiMethod, dict[str, str]]:
    """The method a request addresses and its path parameters, or ``Rejected``."""
    path_matched = False
    for method in load_methods():
        if not path.startswith(method.prefix):
            continue
        found = method.pattern.match(path)
        if not found:
            continue
        params = {k: unquote(v) for k, v in found.groupdict().items()}
        if not all(re.match(method.parameters[k].get("pattern", ""), v) for k, v in params.items()):
            continue  # e.g. {+name} of Chrome print servers takes only "customers/*/chrome/printServers/*"
        path_matched = True
        if method.http_method == http_method:
            return method, params
    if path_matched:
        raise Rejected(f"Method {http_method} is not allowed on {path}")
    raise Rejected(f"The requested URL {path} was not found on this server.")
