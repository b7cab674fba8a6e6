"""Render a `Digest`: HTML (autoescaped Jinja2) with a plain-text twin, and the email.

The email is multipart/alternative: text/plain, then multipart/related holding the HTML
and its charts as `cid:` images. The file written by `monitor digest --output` is the same
HTML with the charts as `data:` URIs. Templates: config/templates/digest.{html,txt}.j2
(package `monitor.defaults`); a copy in `alerts.templates_dir` overrides them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

from alerts import charts as charts_mod
from alerts.charts import LABEL_NAMES, Chart
from alerts.digest import SEVERITIES, Digest, describe_age
from monitor.config import Config
from monitor.errors import ConfigError

PLATFORM_NAMES = {"x": "X", "youtube": "YouTube", "bluesky": "Bluesky"}
SEVERITY_NAMES = {"urgent": "Urgent", "high": "High", "low": "Low"}


def _package_template(name: str) -> str:
    return resources.files("monitor.defaults").joinpath("templates", name).read_text("utf-8")


def environment(config: Config) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if config.alerts.templates_dir:
        loaders.append(jinja2.FileSystemLoader(config.alerts.templates_dir))
    loaders.append(jinja2.FunctionLoader(_package_template))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2", "html")),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    tz = config.tz

    def when(value: datetime | None) -> str:
        return "never" if value is None else f"{value.astimezone(tz):%a %-d %b %H:%M}"

    def day(value: datetime) -> str:
        return f"{value.astimezone(tz):%a %-d %b}"

    filters: Mapping[str, Callable[..., str]] = {
        "when": when,
        "day": day,
        "age": lambda d: "–" if d is None else describe_age(d),
        "label": lambda name: LABEL_NAMES.get(str(name), str(name).replace("_", " ").capitalize()),
        "platform": lambda p: PLATFORM_NAMES.get(str(p), str(p).capitalize()),
        "severity": lambda s: SEVERITY_NAMES.get(str(s), str(s)),
        "money": lambda v: "–" if v is None else f"${v:,.2f}",
    }
    env.filters.update(filters)
    env.globals.update(change=change, plural=plural)
    return env


def change(this: float | timedelta | None, last: float | timedelta | None) -> str:
    """'+3', '−2', 'same', or '' when there is nothing to compare."""
    if this is None or last is None:
        return ""
    if isinstance(this, timedelta) and isinstance(last, timedelta):
        minutes = round((this - last).total_seconds() / 60)
        return "same" if minutes == 0 else f"{'+' if minutes > 0 else '−'}{describe_age(abs(this - last))}"
    diff = float(this) - float(last)  # type: ignore[arg-type]
    if diff == 0:
        return "same"
    return f"+{diff:g}" if diff > 0 else f"−{-diff:g}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def subject(d: Digest) -> str:
    title = f"Weekly digest, {d.window.title}" if d.window.iso_week else f"Digest, {d.window.title}"
    if d.problems:
        return (
            f"{title}: {plural(len(d.problems), 'thing')} need{'s' if len(d.problems) == 1 else ''} attention"
        )
    if d.empty:
        return f"{title}: a quiet week, nothing came in"
    return (
        f"{title}: {plural(d.this.items_total, 'comment')} and mentions, "
        f"{d.this.flagged_items} flagged, {plural(d.this.alerts_total, 'alert')}"
    )


def summary(d: Digest) -> str:
    """One sentence an MD can stop reading after."""
    if d.empty:
        return "Nothing came in this week: no comments, mentions or alerts."
    parts = [f"{plural(d.this.items_total, 'comment')} and mentions came in"]
    parts.append(f"{d.this.flagged_items} flagged")
    parts.append(f"{plural(d.this.alerts_total, 'alert')} sent")
    tail = []
    if d.open_alerts:
        tail.append(f"{plural(len(d.open_alerts), 'alert')} still open")
    if d.waiting:
        tail.append(f"{plural(len(d.waiting), 'question')} waiting for a reply")
    sentence = ", ".join(parts[:-1]) + " and " + parts[-1]
    return sentence + ("; " + " and ".join(tail) if tail else "; nothing is left open") + "."


def _context(d: Digest, config: Config, charts: tuple[Chart, ...], inline: bool) -> dict[str, Any]:
    return {
        "ack_hint": config.alerts.ack_instructions.replace("{alert_id}", "<number>"),
        "retention_days": config.retention.text_days,
        "d": d,
        "summary": summary(d),
        "subject": subject(d),
        "charts": {c.name: c for c in charts},
        "src": {c.name: (f"cid:{c.cid}" if inline else c.data_uri) for c in charts},
        "labels": list(LABEL_NAMES),
        "severities": SEVERITIES,
        "open_by_severity": {s: sum(1 for a in d.open_alerts if a.severity == s) for s in SEVERITIES},
    }


def render_html(
    d: Digest, config: Config, charts: tuple[Chart, ...] | None = None, *, cid: bool = False
) -> str:
    charts = charts_mod.build(d) if charts is None else charts
    return _render(config, "digest.html.j2", _context(d, config, charts, cid))


def render_text(d: Digest, config: Config) -> str:
    return _render(config, "digest.txt.j2", _context(d, config, (), False))


def _render(config: Config, name: str, context: dict[str, Any]) -> str:
    try:
        return environment(config).get_template(name).render(context)
    except jinja2.TemplateError as exc:
        where = config.alerts.templates_dir or "the built-in templates"
        raise ConfigError(f"digest template {name} in {where} cannot be rendered: {exc}") from exc


def recipients(config: Config) -> tuple[str, ...]:
    chosen = config.digest.recipients or config.alerts.recipients
    if not chosen:
        raise ConfigError(
            "nobody to send the digest to: set digest.recipients or alerts.recipients",
            path=str(config.path) if config.path else None,
            key="digest.recipients",
        )
    return chosen


def build_email(d: Digest, config: Config) -> EmailMessage:
    """The digest email: text part, and HTML with its charts attached inline."""
    charts = charts_mod.build(d)
    msg = EmailMessage()
    msg["Subject"] = subject(d)
    msg["From"] = config.alerts.sender
    msg["To"] = ", ".join(recipients(config))
    msg.set_content(render_text(d, config))
    msg.add_alternative(render_html(d, config, charts, cid=True), subtype="html")
    html_part = next(p for p in msg.iter_parts() if p.get_content_type() == "text/html")
    for chart in charts:
        html_part.add_related(chart.png, "image", "png", cid=f"<{chart.cid}>", filename=f"{chart.name}.png")
    return msg


def write_html(d: Digest, config: Config, path: Path) -> int:
    """Write the self-contained HTML (charts as data: URIs); return its size in bytes."""
    data = render_html(d, config).encode("utf-8")
    path.write_bytes(data)
    return len(data)
