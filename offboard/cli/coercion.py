"""Command-line values converted as typer would, without importing pydantic for it.

typer (0.29) converts every value, even ``--help``'s, through a pydantic ``TypeAdapter``:
importing pydantic and building the adapters of one command costs about 150 ms, a sixth of
``offboard expel``'s time to its first request, and a third of ``offboard status``'s. Our values
are flags, text and paths (and lists of them): a flag's ``True`` or ``False`` and a text value are
kept as they came, and a path goes through typer's own checks (``coerce_cli_path``, given a
``Path`` so that it needs no adapter). Any other value or annotation, or a typer whose internals
moved, keeps typer's own conversion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

try:
    from typer._coercion import RuntimeParam
    from typer._param_types import coerce_cli_path
    from typer.core import _TyperParameter
except ImportError:  # a typer that converts otherwise: its own conversion is kept
    RuntimeParam = None  # type: ignore[assignment,misc]

PLAIN = (bool, str, Path)


def _plain_type(annotation: Any) -> bool:
    """``bool``, ``str``, ``Path``, or a list of one of them."""
    if get_origin(annotation) is list:
        args = get_args(annotation)
        return len(args) == 1 and args[0] in PLAIN
    return annotation in PLAIN


class PlainValues:
    """For a typer command or group: its parameters (``--help`` included) get the plain conversion."""

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)  # type: ignore[misc]
        plain_coercion(params)
        return params


def plain_coercion(params: Sequence[Any]) -> None:
    """Give each flag, text and path parameter the plain conversion (others keep typer's)."""
    if RuntimeParam is None:
        return
    for param in params:
        if not isinstance(param, _TyperParameter) or getattr(param, "_runtime_param", "absent") is not None:
            continue  # not typer's, or typer no longer converts lazily through ``_runtime_param``
        descriptor = param.type_descriptor
        info = descriptor.parameter_info
        if descriptor.file_annotation is None and info.parser is None and info.path_type is None \
                and _plain_type(descriptor.annotation):
            param._runtime_param = _Plain(info, descriptor.annotation)


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _Plain(RuntimeParam):
        """A flag or text value as it came; a path through typer's checks (exists, readable...); a list item by item.

        As typer's adapters: a single value given to a list parameter becomes a list of one."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if get_origin(self.annotation) is list:
                item_type = get_args(self.annotation)[0]
                items = value if isinstance(value, (list, tuple)) else [value]
                return [self._one(item_type, item, param, ctx) for item in items]
            return self._one(self.annotation, value, param, ctx)

        def _one(self, annotation: Any, value: Any, param: Any, ctx: Any) -> Any:
            if (annotation is str and isinstance(value, str)) or (annotation is bool and isinstance(value, bool)):
                return value
            if annotation is Path and isinstance(value, (str, Path)):
                return coerce_cli_path(Path(value), self.parameter_info, path_type=Path, param=param, ctx=ctx)
            from typer._coercion import build_runtime_param, resolve_type_descriptor  # anything else: typer's

            descriptor = resolve_type_descriptor(annotation, self.parameter_info)
            return build_runtime_param(descriptor)._coerce_value(value, param=param, ctx=ctx)
