"""The editable templates: where they are found, and the guidance they give.

Templates ship in the `monitor.defaults` package (the repository's `config/templates/`);
`alerts.templates_dir` in the configuration overrides them file by file (copy one file,
edit it, and the others keep their defaults).

A guidance template (`guidance/<category>.md.j2`) is Markdown with Jinja, made of five
named blocks, each rendered separately:

    {% block headline %}        one sentence: what happened, for the first screen
    {% block actions %}         a Markdown list "- …": the first three are "the next ten minutes"
    {% block public_reply %}    a suggested public reply (empty: do not reply in public)
    {% block private_message %} a suggested private follow-up message (may be empty)
    {% block policy %}          the policy sections the guidance rests on

Variables: see `GUIDANCE_VARIABLES` (also documented in the README).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from alerts.view import AlertView, Section, local_time
from monitor.config import Config

BLOCKS = ("headline", "actions", "public_reply", "private_message", "policy")
GUIDANCE = (
    "risk_to_life",
    "threat",
    "confidentiality_risk",
    "staff_breach",
    "harassment",
    "hate",
    "negative_publicity",
    "engagement",
    "spam",
)
EMAILS = ("email/alert.txt.j2", "email/alert.html.j2", "email/operator.txt.j2", "email/operator.html.j2")
PARTIALS = ("guidance/signposting.md.j2",)
TEMPLATES = (*EMAILS, *PARTIALS, *(f"guidance/{name}.md.j2" for name in GUIDANCE))
GUIDANCE_VARIABLES: Mapping[str, str] = {
    "organisation": "the organisation's name ([monitor] organisation)",
    "platform": "the platform's display name, e.g. 'Facebook'",
    "account": "the account's name in the configuration",
    "region": "england, scotland, wales or northern_ireland ([alerts] region)",
    "severity": "urgent, high or low",
    "category": "the label, e.g. 'threat'",
    "count": "how many comments the alert covers",
    "escalated": "true when this is a re-send of an unacknowledged alert",
    "deleted": "true when the comment is already gone from the platform",
    "private": "true for a direct message (never quote it publicly)",
    "staff": "true when the organisation's own account posted it",
    "ico_deadline": "local time 72 hours after the alert (the ICO clock, if the email is how you learnt)",
}


class _DefaultsLoader(jinja2.BaseLoader):
    """The shipped templates, read with importlib.resources (works from a wheel or a zip)."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        resource = files("monitor.defaults").joinpath("templates")
        for part in template.split("/"):
            if part in ("", ".", ".."):
                raise jinja2.TemplateNotFound(template)
            resource = resource.joinpath(part)
        if not resource.is_file():
            raise jinja2.TemplateNotFound(template)
        return resource.read_text(encoding="utf-8"), f"<defaults>/templates/{template}", lambda: True


@lru_cache(maxsize=8)
def environment(templates_dir: str | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates_dir:
        loaders.append(jinja2.FileSystemLoader(templates_dir))
    loaders.append(_DefaultsLoader())
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2", "html"), default_for_string=False, default=False
        ),
        undefined=jinja2.StrictUndefined,  # a typo is an error at check-config, not a blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["md"] = markdown_html
    env.filters["plain"] = plain
    return env


def env_for(config: Config) -> jinja2.Environment:
    return environment(config.alerts.templates_dir)


def shipped() -> frozenset[str]:
    """Every template shipped in `monitor.defaults` (e.g. "guidance/threat.md.j2", "digest.txt.j2")."""
    found: set[str] = set()
    stack: list[tuple[str, Traversable]] = [("", files("monitor.defaults").joinpath("templates"))]
    while stack:
        prefix, folder = stack.pop()
        for entry in folder.iterdir():
            if entry.is_dir():
                stack.append((f"{prefix}{entry.name}/", entry))
            elif entry.name.endswith(".j2"):
                found.add(prefix + entry.name)
    return frozenset(found)


def overridden(config: Config) -> list[Path]:
    """The files in `templates_dir` that replace a default."""
    if not config.alerts.templates_dir:
        return []
    root = Path(config.alerts.templates_dir)
    return sorted(p for p in root.rglob("*") if p.is_file())


# ------------------------------------------------------------------ guidance


@dataclass(frozen=True)
class Guidance:
    name: str
    headline: str
    actions: tuple[str, ...]  # Markdown, one per action
    public_reply: str  # Markdown; "" when no public reply is appropriate
    private_message: str
    policy: str

    @property
    def now(self) -> tuple[str, ...]:
        return self.actions[:3]

    @property
    def then(self) -> tuple[str, ...]:
        return self.actions[3:]


@dataclass(frozen=True)
class Block:
    """One category's guidance in an alert, and which comments it is about."""

    section: Section
    guidance: Guidance
    number: int = 1  # the section's place among the alert's concerns (1 = most severe)


def sections(view: AlertView) -> tuple[Section, ...]:
    if view.sections:
        return view.sections
    numbers = tuple(range(1, len(view.comments) + 1))
    return (Section(view.category, view.category_name, view.guidance, view.severity, numbers),)


def variables(view: AlertView, config: Config, section: Section | None = None) -> dict[str, Any]:
    section = section or sections(view)[0]
    shown = [view.comments[n - 1] for n in section.comments if 0 < n <= len(view.comments)]
    return {
        "organisation": config.organisation,
        "platform": view.platform_name or "the platform",
        "account": view.account or "",
        "region": config.alerts.region,
        "severity": section.severity,
        "category": section.category,
        "count": len(section.comments) + section.more,
        "escalated": view.escalations > 0,
        "deleted": bool(shown) and all(c.deleted for c in shown),
        "private": any(c.private for c in shown),
        "staff": section.guidance == "staff_breach",
        "ico_deadline": local_time(view.created_at + timedelta(hours=72), config),
    }


def blocks_for(view: AlertView, config: Config) -> tuple[Block, ...]:
    """Each category's guidance, most severe first (an alert can group several categories).

    A category covered entirely by a more severe one on the same comments gets no advice of
    its own (the email names it and says which guidance covers it): two sets of advice for
    one comment could contradict each other ("do not reply" and a suggested reply).
    """
    return tuple(
        Block(s, render_guidance(s.guidance, variables(view, config, s), config), number)
        for number, s in enumerate(sections(view), start=1)
        if s.covered_by is None
    )


def guidance_for(view: AlertView, config: Config) -> Guidance:
    """The main category's guidance (the first block)."""
    return blocks_for(view, config)[0].guidance


def render_guidance(name: str, values: dict[str, Any], config: Config) -> Guidance:
    """Render one guidance template; raises jinja2 errors for `check_templates`."""
    template = env_for(config).get_template(f"guidance/{name}.md.j2")
    missing = [b for b in BLOCKS if b not in template.blocks]
    if missing:
        raise jinja2.TemplateError(f"guidance/{name}.md.j2: missing block(s) {', '.join(missing)}")
    context = template.new_context(values)
    parts = {name: "".join(template.blocks[name](context)).strip() for name in BLOCKS}
    actions = list_items(parts["actions"])
    if not actions:
        raise jinja2.TemplateError(f"guidance/{name}.md.j2: the actions block needs a Markdown list ('- …')")
    return Guidance(
        name=name,
        headline=" ".join(parts["headline"].split()),
        actions=actions,
        public_reply=parts["public_reply"],
        private_message=parts["private_message"],
        policy=" ".join(parts["policy"].split()),
    )


# ------------------------------------------------------------------ a little Markdown

_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def list_items(text: str) -> tuple[str, ...]:
    """The items of a Markdown list; indented or wrapped lines continue the item above."""
    items: list[str] = []
    for line in text.splitlines():
        if _ITEM.match(line):
            items.append(_ITEM.sub("", line).strip())
        elif line.strip() and items:
            items[-1] += " " + line.strip()
    return tuple(items)


def paragraphs(text: str) -> tuple[str, ...]:
    return tuple(" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip())


def plain(text: str) -> str:
    """Markdown emphasis and code marks removed, for the plain-text email."""
    return re.sub(r"\*\*(.+?)\*\*|`([^`]+)`", lambda m: m.group(1) or m.group(2), text)


def markdown_html(text: str, *, inline_style: bool = True) -> Markup:
    """Escape, then allow **bold** and `code`: the only Markdown the guidance needs inline.

    Emails need the style inline; the web inbox (a strict CSP) styles `code` from its CSS."""
    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    style = ' style="font-family:Menlo,Consolas,monospace"' if inline_style else ""
    html = re.sub(r"`([^`]+)`", rf"<code{style}>\1</code>", html)
    return Markup(html)  # noqa: S704 - built from escaped text
