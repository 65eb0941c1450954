"""The notice as text: a template with fields, its plain and HTML forms, its headers and its Message-ID.

Templates are Markdown files with ``${field}`` fields (``string.Template``: no expressions, nothing to
run), the first line ``Subject: ...``. They are found beside the config (``playbooks/notices/NAME.md``)
before the shipped ones, like playbooks. Values come from outside (a member's name in the roster):
in the plain text they are as typed, in the HTML they are escaped for Markdown, which renders without
raw HTML. The Message-ID is derived from the notice itself, so planning again gives the same one and
a mail service that can look it up finds a notice already sent.
"""

from __future__ import annotations

import email.policy
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from offboard.spi import FatalError

FIELDS = ("member_name", "member_id", "org_name", "org_domain", "decided", "until", "reason", "systems", "appeal",
          "sender_name", "sender_email")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")
BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class Notice:
    """One notice, ready to be sent: what the plan shows and binds, and what ``message`` turns into bytes."""

    template: str
    sender: str
    sender_name: str
    to: str
    to_name: str
    cc: tuple[str, ...]
    subject: str
    text: str  # the plain text part
    html: str  # the HTML part, rendered from the same Markdown
    message_id: str
    key: str = ""  # the decision it tells of ("suspend|2027-02-28"): told once per decision, whatever the day

    @property
    def recipients(self) -> list[str]:
        return [self.to, *self.cc]

    def preview(self) -> str:
        """The headers and the text, as the dry run shows them (the Date is the time it is sent)."""
        lines = [f"From: {formataddr((self.sender_name, self.sender))}", f"To: {formataddr((self.to_name, self.to))}"]
        lines += [f"Cc: {', '.join(self.cc)}"] if self.cc else []
        lines += [f"Subject: {self.subject}", f"Message-ID: {self.message_id}", "", self.text]
        return "\n".join(lines)

    def message(self, sent_at: datetime) -> bytes:
        """RFC 5322 bytes, ``multipart/alternative`` (plain text and HTML), CRLF line ends."""
        mail = EmailMessage(policy=email.policy.SMTP)
        mail["From"] = formataddr((self.sender_name, self.sender))
        mail["To"] = formataddr((self.to_name, self.to))
        if self.cc:
            mail["Cc"] = ", ".join(self.cc)
        mail["Subject"] = self.subject
        mail["Date"] = format_datetime(sent_at)
        mail["Message-ID"] = self.message_id
        mail.set_content(self.text)
        mail.add_alternative(self.html, subtype="html")
        return mail.as_bytes()

    def to_params(self) -> dict[str, Any]:
        return {**asdict(self), "cc": list(self.cc)}

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Notice:
        return cls(**{**{k: params[k] for k in cls.__dataclass_fields__}, "cc": tuple(params["cc"])})


def compose(template_name: str, config_dir: Path, fields: Mapping[str, str], systems: Sequence[str], sender: str,
            sender_name: str, to: str, to_name: str, cc: Sequence[str], domain: str, key: str = "",
            salt: str = "") -> Notice:
    """Fill the template's fields (``systems``: the titles of the systems whose access ends, a list); refuse a
    field the template names that notices do not have, naming it and the known ones. ``key``: the decision
    told of; ``salt``: what makes two notices of the same text distinct (a reinstatement: the notice it answers)."""
    path, source = load_template(template_name, config_dir)
    subject_line, _, body = source.partition("\n")
    if not subject_line.startswith("Subject:"):
        raise FatalError(f"{path} must start with a line 'Subject: ...': fix the template")
    titles = [one_line(title) for title in systems]
    plain = {**{k: one_line(v) for k, v in fields.items()}, "systems": "\n".join(f"- {t}" for t in titles)}
    escaped = {**{k: escape_markdown(v) for k, v in plain.items()},
               "systems": "\n".join(f"- {escape_markdown(t)}" for t in titles)}
    subject = one_line(_fill(path, subject_line.removeprefix("Subject:").strip(), plain))
    text = _tidy(_fill(path, body, plain))
    from markdown_it import MarkdownIt  # the HTML part: only when a notice is composed

    html = MarkdownIt("commonmark", {"html": False}).render(_tidy(_fill(path, body, escaped)))
    facts = [template_name, to, list(cc), subject, text, salt]
    digest = hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()
    return Notice(template_name, sender, one_line(sender_name), to, one_line(to_name), tuple(cc), subject, text,
                  html, f"<offboard-notice.{digest[:32]}@{domain}>", key)


def load_template(name: str, config_dir: Path) -> tuple[Path, str]:
    """``<config dir>/playbooks/notices/NAME.md``, else the shipped one."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
        raise FatalError(f"notice template {name!r} is not a template name (lower-case letters, digits, - or _)")
    shipped = Path(str(resources.files("offboard.playbooks"))) / "notices"
    for folder in (config_dir / "playbooks" / "notices", shipped):
        path = folder / f"{name}.md"
        if path.is_file():
            try:
                return path, path.read_text(encoding="utf-8").replace("\r\n", "\n")
            except (OSError, UnicodeDecodeError) as exc:
                raise FatalError(f"cannot read the notice template {path} ({exc}): fix it or remove it") from None
    names = sorted(p.stem for p in shipped.glob("*.md"))
    raise FatalError(f"no notice template named {name!r} (shipped: {', '.join(names)}): put {name}.md in "
                     f"{config_dir / 'playbooks' / 'notices'} or fix the playbook's template option")


def _fill(path: Path, text: str, values: Mapping[str, str]) -> str:
    try:
        return Template(text).substitute(values)
    except KeyError as exc:
        raise FatalError(f"{path} uses the field ${{{exc.args[0]}}}, which notices do not have (fields: "
                         f"{', '.join(FIELDS)}): fix the template") from None
    except ValueError as exc:
        raise FatalError(f"{path} has a '$' that is not a field ({exc}): write $$ for a dollar sign") from None


def _tidy(text: str) -> str:
    """No run of blank lines where an empty field left one; one final line break."""
    return BLANK_LINES.sub("\n\n", "\n".join(line.rstrip() for line in text.strip().splitlines())) + "\n"


def one_line(value: str) -> str:
    """A value from outside on one line: no line break or control character can add a header or a line."""
    return CONTROL.sub(" ", value).strip()


def escape_markdown(value: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", value)
