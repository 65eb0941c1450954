"""Which reading a report gets: an audit's, or a run's for the committee. Markdown and HTML both ask here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from offboard.report.audit_reading import audit_reading
from offboard.report.blocks import Reading
from offboard.report.people import people_reading


def reading(document: Mapping[str, Any], checked: str | None = None) -> Reading:
    """``checked``: the signer a reader verified the report's signature against just now (said in a run's report)."""
    if document.get("kind") == "audit":
        return audit_reading(document)
    return people_reading(document, checked)
