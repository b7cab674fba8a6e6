"""The digest's charts: small PNGs (600×260 px) drawn with matplotlib's Agg backend.

matplotlib is imported only here and only when a chart is drawn, so nothing else pays for it.
Every chart carries alt text that states its numbers, for screen readers and for mail
programs that block images.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.types import LABELS

if TYPE_CHECKING:
    from alerts.digest import Digest

WIDTH, HEIGHT, DPI = 6.0, 2.6, 100
PLATFORM_COLOURS = {
    "facebook": "#1f5fa8",
    "instagram": "#c13584",
    "x": "#333333",
    "bluesky": "#2f9bea",
    "mastodon": "#6364ff",
    "youtube": "#d62a2a",
    "replay": "#888888",
}
LABEL_NAMES = {
    "risk_to_life": "Risk to life",
    "threat": "Threat",
    "confidentiality_risk": "Confidentiality risk",
    "harassment": "Harassment",
    "hate": "Hate",
    "negative_publicity": "Complaint / negative publicity",
    "engagement": "Question or request",
    "spam": "Spam",
}


@dataclass(frozen=True)
class Chart:
    name: str  # "volume", "flagged", "trend"
    title: str
    alt: str
    png: bytes

    @property
    def cid(self) -> str:
        return f"{self.name}@digest.community-monitor"

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def build(digest: Digest) -> tuple[Chart, ...]:
    """The charts worth drawing: none for an empty week, and none whose data is all zero."""
    if digest.empty:
        return ()
    charts = [_volume(digest)]
    if digest.this.flagged_items or digest.last.flagged_items:
        charts.append(_flagged(digest))
    if any(p.complaints or p.hostile for p in digest.trend):
        charts.append(_trend(digest))
    return tuple(charts)


def _figure() -> tuple[Any, Any]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI

    fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=8, colors="#444444")
    return fig, ax


def _png(fig: Any) -> bytes:
    fig.tight_layout(pad=0.6)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()


def _volume(digest: Digest) -> Chart:
    fig, ax = _figure()
    days = digest.daily
    long_window = len(days) > 14
    labels = [f"{d.day:%-d %b}" if long_window else f"{d.day:%a %-d}" for d in days]
    bottom = [0] * len(days)
    for platform in digest.platforms:
        values = [d.counts.get(platform, 0) for d in days]
        if not any(values):
            continue
        ax.bar(
            range(len(days)),
            values,
            bottom=bottom,
            label=platform.capitalize() if platform != "x" else "X",
            color=PLATFORM_COLOURS.get(platform, "#999999"),
            width=0.7,
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    step = max(1, len(days) // 10)
    ax.set_xticks(range(0, len(days), step), labels[::step])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Comments and mentions per day", fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, ncol=4, loc="upper left", bbox_to_anchor=(0, -0.12))
    totals = ", ".join(f"{lab} {sum(d.counts.values())}" for lab, d in zip(labels, days, strict=True))
    return Chart(
        "volume", "Comments and mentions per day", f"Comments and mentions per day: {totals}.", _png(fig)
    )


def _flagged(digest: Digest) -> Chart:
    fig, ax = _figure()
    labels = [label for label in LABELS if digest.this.flagged[label] or digest.last.flagged[label]]
    names = [LABEL_NAMES.get(label, label) for label in labels]
    ys = list(range(len(labels)))[::-1]
    this = [digest.this.flagged[label] for label in labels]
    last = [digest.last.flagged[label] for label in labels]
    ax.barh([y + 0.2 for y in ys], last, height=0.4, color="#c8ccd2", label="previous week")
    ax.barh([y - 0.2 for y in ys], this, height=0.4, color="#b8461b", label="this week")
    for y, value in zip(ys, this, strict=True):
        ax.text(value + 0.1, y - 0.2, str(value), va="center", fontsize=7, color="#222222")
    ax.set_yticks(ys, names)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Flagged items by category", fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(0, -0.1))
    detail = "; ".join(f"{n}: {t} (previous {p})" for n, t, p in zip(names, this, last, strict=True))
    return Chart("flagged", "Flagged items by category", f"Flagged items by category: {detail}.", _png(fig))


def _trend(digest: Digest) -> Chart:
    fig, ax = _figure()
    points = digest.trend
    xs = range(len(points))
    ax.plot(xs, [p.complaints for p in points], marker="o", color="#b8461b", label="complaints")
    ax.plot(xs, [p.hostile for p in points], marker="s", color="#6b3fa0", label="harassment, hate, threats")
    ax.set_xticks(list(xs), [p.label for p in points])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Complaints and hostility, last {len(points)} weeks", fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, ncol=2, loc="upper left", bbox_to_anchor=(0, -0.12))
    detail = "; ".join(f"{p.label}: {p.complaints} complaints, {p.hostile} hostile" for p in points)
    return Chart(
        "trend",
        "Complaints and hostility by week",
        f"Complaints and hostile comments by week: {detail}.",
        _png(fig),
    )
