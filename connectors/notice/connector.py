"""The written notice: the member is told, in writing, by a trusted third party, once their access is gone.

A closing step of a playbook (``- connector: notice``): planned after every other system, so that it
names the systems whose access ends, and sent once every ``cut`` action has finished, to the member's
personal email from the roster (their organization mailbox is suspended by then). The plan shows the
notice in full, as it will be sent. Without ``[notice]`` in the config, or without a personal email,
it is a manual step: a person delivers it in writing and says how and when.

Exactly once: the Message-ID is derived from the notice and bound in the plan. Through Gmail a resumed
send looks for it among the sent messages first; through SMTP, where nothing can be asked afterwards, a
send cut short after the message was handed over becomes a manual step "check the sent folder", never a
second mail. The bytes sent go back to the engine (``Outcome.observed``), which stores them beside the
run's report with their SHA-256.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import Any

from offboard.spi import (
    Account,
    Action,
    Capability,
    ConfigError,
    ConfigField,
    Connector,
    ConnectorContext,
    DeliveryUnknown,
    FatalError,
    Mailbox,
    ManualStep,
    Member,
    Outcome,
    Phase,
    Restoration,
    RetriableError,
    SentMail,
)

from .compose import Notice, compose
from .smtp_settings import mailbox_from_settings, settings_problems, smtp_problems

VIA = ("gmail", "smtp")
SEND, DELIVER = "notice:send", "notice:deliver"
EVIDENCE = ("how and when the notice was delivered (a copy of the letter or mail)",)


class NoticeConnector(Connector):
    name = "notice"
    title = "Written notice"
    version = "0.1.0"
    capabilities = frozenset({Capability.NOTIFY, Capability.RESTORE})
    needs_config = False  # without [notice] the notice is a person's to deliver
    config_table = "notice"
    closing = True
    max_concurrency = 1
    config_fields = (
        ConfigField("from", "the trusted third party's mailbox: the notice is sent as this person", default=""),
        ConfigField("name", "the third party's name, as the notice is signed", default=""),
        ConfigField("cc", "addresses that get the record copy", default=[], type=list),
        ConfigField("via", 'how it is sent: "gmail" (the Google connector\'s delegation) or "smtp"', default="gmail"),
        ConfigField("appeal", "a sentence the templates end with (how to appeal)", default=""),
        ConfigField("smtp", "[notice.smtp]: host, port, username, password_env, tls", default={}, type=dict),
    )

    def __init__(self, config: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(config, context)
        c = self.config
        self.configured = bool(config)
        problems = []
        if self.configured and "@" not in c["from"]:
            problems.append(f"'from' must be the third party's email address, not {c['from']!r}")
        if c["via"] not in VIA:
            problems.append(f"'via' must be \"gmail\" or \"smtp\", not {c['via']!r}")
        if not all(isinstance(a, str) and "@" in a for a in c["cc"]):
            problems.append("'cc' must be a list of email addresses")
        if self.configured and c["via"] == "smtp":
            problems += settings_problems(c["smtp"])
        if problems:
            raise ConfigError("[notice]: " + "; ".join(problems))

    # -- plan

    def resolve(self, member: Member) -> Account:
        email = _one_address(member.personal_email)
        label = email or ("no personal email on the roster" if not member.personal_email.strip() else
                          f"the roster's personal email {member.personal_email.strip()[:60]!r} is not one address")
        return Account(self.name, email or member.id, label,
                       {"name": member.name, "member_id": member.id, "personal_email": email})

    def discover(self, account: Account, options: Mapping[str, Any] | None = None) -> list[Action]:
        """The notice, composed now and shown in full; options: ``template`` (default: the plan's kind), and what
        the plan tells a closing step: ``kind``, ``systems``, ``decided``, ``until``, ``reason``, ``sent`` (the
        decisions earlier runs of this direction told of, ``template|until``: a decision is told once)."""
        options = options or {}
        template = str(options.get("template") or options.get("kind") or "expel")
        if f"{template}|{options.get('until') or ''}" in (options.get("sent") or ()):
            return []  # an earlier run of this decision told them: not twice
        return [self._notice(account, template, options)]

    def _notice(self, account: Account, template: str, options: Mapping[str, Any], salt: str = "") -> Action:
        c, name = self.config, str(account.attributes.get("name") or "")
        to = str(account.attributes.get("personal_email") or "")
        fields = {"member_name": name, "member_id": str(account.attributes.get("member_id") or ""),
                  "org_name": self.context.org_name, "org_domain": self.context.org_domain,
                  "decided": str(options.get("decided") or ""), "until": str(options.get("until") or ""),
                  "reason": f"The reason given: {options['reason']}" if options.get("reason") else "",
                  "appeal": c["appeal"], "sender_name": c["name"] or c["from"], "sender_email": c["from"]}
        sender = c["from"] or f"the committee of {self.context.org_name}"
        notice = compose(template, self.context.base_dir, fields, list(options.get("systems") or ()), c["from"] or
                         f"nobody@{self.context.org_domain}", c["name"] or sender, to or "member@unknown.invalid", name,
                         c["cc"], self.context.org_domain, f"{template}|{options.get('until') or ''}", salt)
        if self.configured and to:
            return Action(SEND, self.name, "notice", f"Send the written notice to {to} as {c['from']}"
                          + (f" (copy to {', '.join(c['cc'])})" if c["cc"] else ""), Phase.CLEAN, False,
                          None, {"sent_to": to, "message_id": notice.message_id}, account, notice.to_params(),
                          preview=notice.preview())
        why = (f"{account.label}: the organization mailbox is closed by now" if not to
               else "[notice] is not configured: the notice is yours to deliver")
        step = ManualStep(f"Deliver the written notice to {name} in writing",
                          f"{why}. Deliver it by post, by hand or to another address the member uses, as a trusted "
                          f"third party; then confirm how and when.\n\n{notice.text}", evidence=EVIDENCE)
        params = {"template": template, **({"attention": True} if not to else {})}
        return Action(DELIVER, self.name, "notice-manual", f"Deliver the written notice by hand: {why}", Phase.MANUAL,
                      False, None, {"delivered": True}, account, params, manual=step)

    def plan_restore(self, account: Account, applied: Sequence[Action]) -> Restoration:
        """A member told of a suspension or expulsion is told of their reinstatement, the same way."""
        told = [a for a in applied if a.kind in ("notice", "notice-manual")]
        if not told:
            return Restoration()
        answered = str(told[-1].params.get("message_id") or told[-1].id)  # each reinstatement's notice is its own
        return Restoration([self._notice(account, "reinstate", {}, salt=answered)])

    # -- apply

    def apply(self, action: Action) -> Outcome:
        if action.kind != "notice":
            return Outcome.manual("waiting for a person to deliver it and run `offboard confirm`")
        notice, mailbox = Notice.from_params(action.params), self.mailbox()
        if mailbox.can_look_up:
            found = self.context.read(lambda: mailbox.find_sent(notice.message_id))
            if found is not None:
                return Outcome.ok(f"already sent as {notice.message_id}", observed=_proof(notice, found, None))
        raw = notice.message(datetime.now(UTC))
        try:
            sent = mailbox.send(raw, notice.recipients)
        except DeliveryUnknown:
            if not mailbox.can_look_up:
                return self._check_by_hand(notice)
            found = self.context.read(lambda: mailbox.find_sent(notice.message_id))
            if found is None:  # Gmail shows it did not take it: tried again, looking first as every attempt does
                raise RetriableError(f"the answer to sending {notice.message_id} was lost and Gmail does not list it "
                                     "among the sent messages: it is tried again") from None
            sent = found
        return Outcome.changed(f"sent to {notice.to} as {notice.message_id}", observed=_proof(notice, sent, raw))

    def interrupted(self, action: Action) -> Outcome | None:
        """Through SMTP, a send the run was killed in cannot be checked: a person looks, nothing is sent again."""
        if action.kind == "notice" and self.config["via"] == "smtp":  # an SMTP server cannot be asked afterwards
            return self._check_by_hand(Notice.from_params(action.params))
        return None

    def _check_by_hand(self, notice: Notice) -> Outcome:
        return Outcome.manual(f"the send of {notice.message_id} was cut short after the message was handed over: "
                              f"check the sent folder of {notice.sender} for it; if it is there, confirm this step; "
                              "if not, send the notice shown in the plan by hand, then confirm. It is never sent "
                              "again on a guess")

    def mailbox(self) -> Mailbox:
        """Gmail through the Google connector's delegation, as ``from``; or the SMTP server of [notice.smtp]."""
        c = self.config
        if c["via"] == "smtp":
            return mailbox_from_settings(c["smtp"], c["from"], self.context.environ)
        open_mailbox = getattr(self.context.peer("google"), "mailbox", None)  # GoogleWorkspaceConnector.mailbox
        if open_mailbox is None:
            raise FatalError('[notice] via = "gmail" sends through the Google connector, which is not configured: add '
                             '[connectors.google], or send with via = "smtp"')
        mailbox: Mailbox = open_mailbox(c["from"])
        return mailbox

    def test_connection(self) -> list[str]:
        """For ``offboard doctor``: where the notice goes through, and whether it can be sent."""
        if not self.configured:
            return []
        if self.config["via"] == "gmail":
            check = getattr(self.context.peer("google"), "mail_problems", None)  # GoogleWorkspaceConnector's
            if check is None:
                return ['[notice] via = "gmail" needs [connectors.google]: add it, or use via = "smtp"']
            return list(check(self.config["from"]))
        return smtp_problems(self.config["smtp"], self.config["from"], self.context.environ)


def _one_address(value: str) -> str:
    """The roster's personal email when it is exactly one plain address; else "" (a person delivers the notice)."""
    text = value.strip()
    if not text or any(c in text for c in ",;<>\"\r\n\t ") or not text.isprintable():
        return ""
    name, address = parseaddr(text)
    local, _, domain = address.partition("@")
    return address if not name and local and "." in domain and address == text else ""


def _proof(notice: Notice, sent: SentMail, raw: bytes | None) -> dict[str, Any]:
    """What the report records of a sent notice; ``raw``: the bytes, which the ledger stores beside the report
    (None when the notice was found already sent by an earlier attempt, whose exact bytes were not kept)."""
    return {"notice": {"message_id": sent.message_id or notice.message_id, "template": notice.template,
                       "key": notice.key,
                       "from": notice.sender, "to": notice.to, "cc": list(notice.cc), "subject": notice.subject,
                       "sent_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                       "sha256": hashlib.sha256(raw).hexdigest() if raw is not None else None,
                       "gmail_id": sent.gmail_id, "thread_id": sent.thread_id, "server_reply": sent.server_reply},
            "eml": base64.b64encode(raw).decode() if raw is not None else None}
