"""Replies to alert emails: one message in, one decision out. No database, no network.

An alert's Reply-To is the configured `imap.reply_to` address with a tag:
`monitor+a12-<token>@example.org` (alert 12, a per-send token from the store). A reply
acts only when

* it is not automatic: no `Auto-Submitted` other than "no", no `X-Autoreply`,
  `X-Autorespond`, `Precedence: bulk|junk|list|auto_reply`, `List-Id`, no delivery report
  (`multipart/report`), not from MAILER-DAEMON or postmaster, not with an empty Return-Path;
* it is addressed to a tagged address (the token is checked against the store by the caller);
* it comes from one of the `allowed` addresses (the MD and the deputies; the caller passes them).

The words above the quoted part are the note. A note that starts with "resolved" or "done"
resolves the alert; anything else (even an empty reply) acknowledges it.
"""

from __future__ import annotations

import email
import email.policy
import enum
import hashlib
import html
import re
from collections.abc import Collection
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, getaddresses, make_msgid, parseaddr

NOTE_MAX = 2000
_ADDRESS_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_RESOLVE = re.compile(r"^\W*(resolved|resolve|done)\b", re.I)
_QUOTE_START = (
    re.compile(r"^\s*>"),
    re.compile(r"^\s*-{2,}\s*(Original|Forwarded) Message\s*-{2,}", re.I),
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook's line above its "From:" block
    re.compile(r"^--\s?$"),  # a signature
    re.compile(r"^\s*(Sent from my |Get Outlook for )", re.I),
)
_OUTLOOK_BLOCK = re.compile(r"^\s*\*?(From|De|Von):\*?\s", re.I)
_OUTLOOK_NEXT = re.compile(r"^\s*\*?(Sent|Date|To|Subject|Envoyé|Gesendet):", re.I)
_ON_WROTE = re.compile(r"^\s*On\b.*\bwrote:\s*$", re.I | re.S)


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


@dataclass(frozen=True)
class Reply:
    """A reply that may act on an alert, once the caller has checked its token."""

    alert_id: int
    token: str
    action: Action
    note: str | None
    sender: str  # the From address, normalised (lower case)
    key: str  # the Message-ID (or a hash of the message): never applied twice
    message_id: str | None
    subject: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Ignored:
    """A message that acts on nothing, and why (no content: it is logged)."""

    reason: str
    key: str
    sender: str


def reply_address(reply_to: str, alert_id: int, token: str) -> str:
    """`monitor@example.org` → `monitor+a12-<token>@example.org`."""
    local, _, domain = parseaddr(reply_to)[1].partition("@")
    return f"{local}+a{alert_id}-{token}@{domain}"


def _tag_pattern(reply_to: str) -> re.Pattern[str]:
    local, _, domain = parseaddr(reply_to)[1].lower().partition("@")
    return re.compile(rf"^{re.escape(local)}\+a(\d{{1,12}})-([0-9a-f]{{32}})@{re.escape(domain)}$", re.I)


def read(raw: bytes, *, reply_to: str, allowed: Collection[str]) -> Reply | Ignored:
    """Decide what one message in the replies mailbox means."""
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    message_id = _header(message, "Message-ID") or None
    key = message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    senders = [addr for _, addr in getaddresses([_header(message, "From")]) if addr]
    sender = senders[0].strip().lower() if len(senders) == 1 else ""

    why = automatic(message, sender)
    if why:
        return Ignored(why, key, sender)
    tag = _tag(message, reply_to)
    if tag is None:
        return Ignored("no alert tag in its addresses", key, sender)
    if not sender or sender not in {a.strip().lower() for a in allowed}:
        return Ignored("sender is not the MD or a deputy", key, sender)
    alert_id, token = tag
    note = note_of(message)
    action = Action.RESOLVE if note and _RESOLVE.match(note) else Action.ACKNOWLEDGE
    references = tuple(_header(message, "References").split())
    return Reply(
        alert_id=alert_id,
        token=token.lower(),
        action=action,
        note=note or None,
        sender=sender,
        key=key,
        message_id=message_id,
        subject=_header(message, "Subject"),
        references=references,
    )


def _header(message: EmailMessage, name: str) -> str:
    try:
        value = message.get(name)
    except (ValueError, IndexError, TypeError):  # a malformed header: treat as absent
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def automatic(message: EmailMessage, sender: str) -> str | None:
    """Why this message was written by a machine (so it must not act), or None."""
    auto = _header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto-submitted"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "auto-reply"
    if _header(message, "Precedence").lower() in _PRECEDENCE:
        return "bulk or list mail"
    if _header(message, "List-Id"):
        return "mailing-list mail"
    if message.get_content_type() == "multipart/report":
        return "delivery report"
    local = sender.partition("@")[0]
    if local in ("mailer-daemon", "postmaster") or not sender:
        return "delivery report" if local else "no single sender"
    if _header(message, "Return-Path").strip() == "<>":
        return "delivery report"
    return None


def _tag(message: EmailMessage, reply_to: str) -> tuple[int, str] | None:
    pattern = _tag_pattern(reply_to)
    values = [_header(message, name) for name in _ADDRESS_HEADERS]
    for _, addr in getaddresses([v for v in values if v]):
        match = pattern.match(addr.strip())
        if match:
            return int(match.group(1)), match.group(2)
    return None


def note_of(message: EmailMessage) -> str:
    """The words above the quoted part: the person's own text, at most NOTE_MAX characters."""
    text = _body_text(message)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if any(p.match(line) for p in _QUOTE_START):
            break
        if _OUTLOOK_BLOCK.match(line) and any(_OUTLOOK_NEXT.match(n) for n in lines[index + 1 : index + 4]):
            break
        if _attribution(lines[index : index + 3]):
            break
        kept.append(line.rstrip())
    note = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    note = "".join(ch for ch in note if ch in "\n\t" or ch.isprintable())
    return note[:NOTE_MAX]


def _attribution(window: list[str]) -> bool:
    """ "On Mon, 23 Nov 2026 at 09:04, X <x@y> wrote:", possibly wrapped over up to three
    lines: it starts with "On", names a date (a digit) and ends with "wrote:"."""
    if not window or not window[0].lstrip().lower().startswith("on ") or not re.search(r"\d", window[0]):
        return False
    for n in range(1, len(window) + 1):
        if not window[n - 1].strip():
            return False
        if _ON_WROTE.match(" ".join(window[:n])):
            return True
    return False


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError, AssertionError):
        return ""
    if not isinstance(content, str):
        return ""
    if part.get_content_type() == "text/html":
        content = _html_text(content)
    return content


def _html_text(markup: str) -> str:
    """The text of an HTML reply: quoted blocks dropped, line breaks kept."""
    markup = re.sub(r"(?is)<(blockquote|style|script|head)\b.*?</\1\s*>", "\n>\n", markup)
    markup = re.sub(r"(?is)<div[^>]*(gmail_quote|divRplyFwdMsg|moz-cite-prefix)[^>]*>.*", "\n>\n", markup)
    markup = re.sub(r"(?i)<br\s*/?>|</p\s*>|</div\s*>", "\n", markup)
    return html.unescape(re.sub(r"(?s)<[^>]+>", "", markup))


# ------------------------------------------------------------------ the confirmation


def confirmation(
    reply: Reply, *, sender: str, organisation: str, outcome: str, reply_to: str | None
) -> EmailMessage:
    """The answer in the reply's own thread: what the monitor did (no comment text).

    Its Reply-To is the alert's tagged address again, so "done" in answer to it resolves."""
    subject = reply.subject or f"Alert #{reply.alert_id}"
    if not re.match(r"^\s*re:", subject, re.I):
        subject = f"Re: {subject}"
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())[:200]
    msg["From"] = formataddr((f"{organisation} monitor"[:80], sender))
    msg["To"] = reply.sender
    if reply_to:
        msg["Reply-To"] = reply_to
    domain = parseaddr(sender)[1].rpartition("@")[2] or "monitor.invalid"
    msg["Message-ID"] = make_msgid("confirm", domain=re.sub(r"[^A-Za-z0-9.-]", "", domain) or None)
    if reply.message_id:
        msg["In-Reply-To"] = reply.message_id
        msg["References"] = " ".join((*reply.references[-10:], reply.message_id))
    msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: mail programs do not answer this
    lines = [outcome, ""]
    if reply.note:
        lines += [
            "Your note, as recorded in the audit trail:",
            *(f"  {x}" for x in reply.note.splitlines()),
            "",
        ]
    if reply.action is Action.ACKNOWLEDGE:
        lines.append('Reply "resolved" (or "done") to this thread when it has been dealt with.')
    lines.append(f"Alert #{reply.alert_id}; `monitor alerts show {reply.alert_id}` shows its audit trail.")
    msg.set_content("\n".join(lines) + "\n")
    return msg
