"""Command-line values converted without pydantic (``offboard.cli.coercion``) come out as typer's own conversion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer._coercion import build_runtime_param, resolve_type_descriptor
from typer.models import ArgumentInfo, OptionInfo

from offboard.cli.coercion import _Plain

CASES: list[tuple[Any, Any]] = [
    (str, "m042"), (str, ""), (str, "a b [red]c[/red]"),
    (bool, True), (bool, False),
    (Path, "plan.json"), (Path, ""), (Path, "-"), (Path, "."), (Path, "/etc/hostname"),
    (list[str], ("a", "b")), (list[str], ["a"]), (list[str], "a"), (list[str], ()),
    (list[Path], ("one.json", "/tmp")), (list[Path], "one.json"),  # one text for a list: refused by both
]


class Param:
    """What the conversions read of a parameter."""

    multiple = False
    nargs = 1
    name = "value"
    human_readable_name = "VALUE"

    def __init__(self, annotation: Any) -> None:
        self.multiple = str(annotation).startswith("list")


def outcome(convert: Any, value: Any, param: Param) -> tuple[Any, Any]:
    """The value and its type, or the error and its message."""
    try:
        converted = convert.coerce(value, param, None)
    except Exception as exc:
        return type(exc), str(exc)
    return converted, type(converted)


@pytest.mark.parametrize("info", [OptionInfo(), ArgumentInfo()])
@pytest.mark.parametrize(("annotation", "value"), CASES)
def test_the_plain_conversion_is_typers(annotation: Any, value: Any, info: Any) -> None:
    param = Param(annotation)
    typers = outcome(build_runtime_param(resolve_type_descriptor(annotation, info)), value, param)
    assert outcome(_Plain(info, annotation), value, param) == typers


def test_a_path_that_is_a_folder_is_refused_where_typer_refuses_it(tmp_path: Path) -> None:
    import typer

    info = OptionInfo(dir_okay=False)
    with pytest.raises(typer.BadParameter) as theirs:
        build_runtime_param(resolve_type_descriptor(Path, info)).coerce(str(tmp_path), Param(Path), None)  # type: ignore[arg-type]
    with pytest.raises(typer.BadParameter) as ours:
        _Plain(info, Path).coerce(str(tmp_path), Param(Path), None)  # type: ignore[arg-type]
    assert str(ours.value) == str(theirs.value)
