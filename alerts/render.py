"""Render alert emails: multipart plain text + HTML from the templates, safe headers.

* The subject says severity, category and platform; anything from comment text is
  stripped of control characters (CR/LF, bidi overrides, …) and the length is capped.
* The Message-ID is derived from the alert (its key, creation time and how many times
  it was escalated), so a retried send is recognisably the same message.
* The HTML is Jinja2 with autoescaping; comment text is data, never template source.
* If a template fails at send time anyway, `fallback` builds a plain email without
  templates, so an urgent alert still goes out (`check_templates` catches most of
  these earlier, at `monitor check-config`).
"""

from __future__ import annotations

import email.policy
import hashlib
import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Any

import jinja2

from alerts import guidance as guidance_mod
from alerts import mask as masking
from alerts.view import AlertView, sample, sample_grouped, sample_notice
from monitor.config import Config

# Folding a header at 78 columns can drop the space between two encoded words (a CPython
# email bug: "“0 0”" comes back as "“00”"); our headers are short, so fold only at 998.
HEADER_POLICY = email.policy.default.clone(max_line_length=998)
SUBJECT_MAX = 120
SNIPPET_MAX = 48
# Categories whose words may appear in a subject (a lock screen shows it). Never
# risk_to_life or confidentiality_risk, never a private message.
SNIPPET_CATEGORIES = frozenset({"threat", "harassment", "hate", "negative_publicity", "engagement", "spam"})


@dataclass(frozen=True)
class Links:
    """How the reader acts on this alert from the email itself (README "Acting on alerts").

    `ack_url`/`resolve_url` open a confirm page in the web inbox (it acts on POST only: mail
    scanners follow links); `reply` says a reply acknowledges. All empty: only the CLI is named.
    """

    ack_url: str | None = None
    resolve_url: str | None = None
    inbox_url: str | None = None
    reply: bool = False

    @property
    def any(self) -> bool:
        return bool(self.ack_url or self.reply)


@dataclass(frozen=True)
class Envelope:
    """Who gets the message and how it threads."""

    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    message_id: str = ""
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    date: datetime | None = None
    reply_to: str | None = None  # the alert's tagged address: replying acknowledges

    @property
    def recipients(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.to, *self.cc)))


# ------------------------------------------------------------------ headers


def clean_header(text: str, limit: int = SUBJECT_MAX) -> str:
    """One line of printable text: control, format (bidi) and separator characters become spaces."""
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        out.append(" " if category[0] in "CZ" else ch)
    line = " ".join("".join(out).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return line


def snippet(view: AlertView) -> str | None:
    categories = {s.category for s in view.sections} | {view.category}
    if not categories <= SNIPPET_CATEGORIES or not view.comments:
        return None
    first = view.comments[0]
    if first.private or first.masked or first.erased or not first.excerpt:
        return None
    return clean_header(masking.regex_mask(first.excerpt), SNIPPET_MAX)


def subject_for(view: AlertView) -> str:
    """Severity and every category, never cut; then where, the words and the count, as they fit."""
    tag = view.severity.upper() + (", NOT ACKNOWLEDGED" if view.escalations else "")
    names = view.short_names if len(view.short_names) > 1 else view.category_names
    subject = f"[{tag}] {' + '.join(clean_header(n, 60) for n in names)}"
    where = view.platform_name or "social media"
    extras = [f" on {where} ({view.account})" if view.account else f" on {where}", f" on {where}"]
    words = snippet(view)
    count = len(view.comments) + view.more_comments
    tail = [f": “{words}”" if words else "", f" (+{count - 1} more)" if count > 1 else ""]
    for option in extras:
        if len(subject + option) <= SUBJECT_MAX:
            subject += option
            break
    for part in tail:
        if part and len(subject + part) <= SUBJECT_MAX:
            subject += part
    return clean_header(subject, max(SUBJECT_MAX, len(subject)))


def message_id(key: str, created_at: datetime, escalations: int, sender: str) -> str:
    """Deterministic: the same alert and escalation always get the same Message-ID."""
    digest = hashlib.sha256(f"{key}|{created_at.isoformat()}".encode()).hexdigest()[:20]
    domain = parseaddr(sender)[1].rpartition("@")[2]
    domain = re.sub(r"[^A-Za-z0-9.-]", "", domain) or "monitor.invalid"
    return f"<alert.{digest}.{escalations}@{domain}>"


def _headers(msg: EmailMessage, subject: str, env: Envelope, config: Config, urgent: bool) -> None:
    msg["Subject"] = clean_header(subject)
    msg["From"] = formataddr((clean_header(f"{config.organisation} monitor", 80), env.sender))
    msg["To"] = ", ".join(env.to)
    if env.cc:
        msg["Cc"] = ", ".join(env.cc)
    msg["Date"] = format_datetime(env.date) if env.date else format_datetime(datetime.now().astimezone())
    msg["Message-ID"] = env.message_id
    if env.in_reply_to:
        msg["In-Reply-To"] = env.in_reply_to
    if env.references:
        msg["References"] = " ".join(env.references[-10:])
    if env.reply_to:
        msg["Reply-To"] = env.reply_to
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies back to us
    if urgent:
        msg["X-Priority"] = "1"
        msg["Importance"] = "high"


# ------------------------------------------------------------------ bodies


def _context(
    view: AlertView, config: Config, subject: str, env: Envelope, links: Links | None = None
) -> dict[str, Any]:
    return {
        "links": links or Links(),
        "alert": view,
        "subject": subject,
        "organisation": config.organisation,
        "ack": config.alerts.ack_instructions.replace("{alert_id}", str(view.id)),
        "has_deputies": bool(config.alerts.deputies),
        "deputies": bool(env.cc),
    }


def render_alert(view: AlertView, config: Config, env: Envelope, links: Links | None = None) -> EmailMessage:
    """The alert email. Raises jinja2 errors if a template is broken (see `fallback`)."""
    templates = guidance_mod.env_for(config)
    subject = subject_for(view)
    context = _context(view, config, subject, env, links)
    blocks = guidance_mod.blocks_for(view, config)
    context["guidance"] = blocks[0].guidance  # the main category's (templates written for one)
    context["blocks"] = blocks
    context["concerns"] = guidance_mod.sections(view)
    text = templates.get_template("email/alert.txt.j2").render(context)
    html = templates.get_template("email/alert.html.j2").render(context)
    return _assemble(subject, text, html, env, config, urgent=view.severity == "urgent")


def render_notice(view: AlertView, config: Config, env: Envelope) -> EmailMessage:
    templates = guidance_mod.env_for(config)
    subject = clean_header(f"[monitor] {view.topic or view.category}: {view.account or 'all accounts'}")
    context = _context(view, config, subject, env)
    text = templates.get_template("email/operator.txt.j2").render(context)
    html = templates.get_template("email/operator.html.j2").render(context)
    return _assemble(subject, text, html, env, config, urgent=False)


def _assemble(
    subject: str, text: str, html: str | None, env: Envelope, config: Config, *, urgent: bool
) -> EmailMessage:
    msg = EmailMessage()
    _headers(msg, subject, env, config, urgent)
    msg.set_content(_tidy(text))
    if html is not None:
        msg.add_alternative(html, subtype="html")
    msg.policy = HEADER_POLICY  # bodies are already encoded; this only affects header folding
    return msg


def _tidy(text: str) -> str:
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def fallback(
    view: AlertView, config: Config, env: Envelope, error: str, links: Links | None = None
) -> EmailMessage:
    """A plain alert built without templates, for when a template fails at send time."""
    lines = [
        f"{view.severity.upper()}: {' + '.join(view.category_names)} on {view.platform_name} ({view.account or '-'})",
        "",
        "The guidance template for this alert could not be rendered, so this is the plain version.",
        f"(Template error: {clean_header(error, 300)}. Run `monitor check-config`.)",
        "",
    ]
    for c in view.comments:
        lines += [f"{c.kind} on {c.platform_name}, {c.when}:", *(f"  > {x}" for x in c.excerpt.splitlines())]
        lines += [f"  Link: {c.permalink or 'none'}", f"  Item number: {c.item_id}"]
        lines += [f"  Flagged: {', '.join(f'{f.name} {f.score:.2f}' for f in c.flags)}", ""]
    if links and links.ack_url:
        lines += [f"I'm dealing with it: {links.ack_url}", f"Resolved: {links.resolve_url}"]
    if links and links.reply:
        lines.append(
            'Or reply to this email: any reply acknowledges it; start with "resolved" to resolve it.'
        )
    lines.append(config.alerts.ack_instructions.replace("{alert_id}", str(view.id)))
    subject = subject_for(view)
    return _assemble(subject, "\n".join(lines), None, env, config, urgent=view.severity == "urgent")


# ------------------------------------------------------------------ check-config


def check_templates(config: Config) -> list[str]:
    """Problems with the guidance templates, found at config check rather than at 3 a.m."""
    problems: list[str] = []
    root = config.alerts.templates_dir
    if root:
        folder = Path(root)
        if not folder.is_dir():
            return [f"alerts.templates_dir: {root} is not a directory"]
        known = guidance_mod.shipped() | set(guidance_mod.TEMPLATES)
        for path in guidance_mod.overridden(config):
            name = path.relative_to(folder).as_posix()
            if name not in known and not path.name.startswith("."):
                problems.append(
                    f"template {path}: not a template the monitor uses (expected one of: "
                    f"{', '.join(sorted(known))}); check its name and folder"
                )
    guidance_mod.environment.cache_clear()  # re-read edited files
    env = Envelope(sender=config.alerts.sender, to=config.alerts.recipients or ("md@example.org",))
    env = replace(env, message_id=message_id("check", datetime.now().astimezone(), 0, config.alerts.sender))
    seen: set[str] = set()
    links = Links(
        "https://monitor.example.org/a/1/ack?t=x", "https://monitor.example.org/a/1/resolve?t=x", None, True
    )
    for name in guidance_mod.GUIDANCE:
        severity = config.alerts.severity.get(
            "confidentiality_risk" if name == "staff_breach" else name, "high"
        )
        for escalations, count in ((0, 1), (1, 3)):
            level = "high" if str(severity) == "low" else str(severity)
            view = sample(name, level, config, escalations=escalations)
            view = replace(view, comments=view.comments * count)
            problem = _try(lambda v=view: render_alert(v, config, env, links), f"guidance/{name}.md.j2")
            if problem and problem not in seen:
                seen.add(problem)
                problems.append(problem)
    grouped = sample_grouped(config, ("risk_to_life", "threat", "confidentiality_risk", "harassment"))
    problem = _try(lambda: render_alert(grouped, config, env), "email/alert.*.j2 (several categories)")
    if problem and problem not in seen:
        seen.add(problem)
        problems.append(problem)
    for topic in ("auth", "failed", "other"):
        notice = replace(sample_notice(config), topic=topic)
        problem = _try(lambda n=notice: render_notice(n, config, env), "email/operator.*.j2")
        if problem and problem not in seen:
            seen.add(problem)
            problems.append(problem)
    return problems


def _try(render: Any, name: str) -> str | None:
    try:
        render()
    except jinja2.TemplateSyntaxError as exc:
        return f"template {exc.filename or exc.name or name}, line {exc.lineno}: {exc.message}"
    except jinja2.TemplateNotFound as exc:
        return f"template {exc.name} is missing (needed for {name})"
    except Exception as exc:
        return f"template {name}: {exc.__class__.__name__}: {exc}"
    return None
