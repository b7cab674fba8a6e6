"""Render alert emails from the guidance templates (completed by the Alerts work)."""

from __future__ import annotations

from monitor.config import Config


def check_templates(config: Config) -> list[str]:
    """Problems with the guidance templates, found at config check rather than at 3 a.m."""
    return []
