"""Checks behind `monitor check-config`: offline (files, templates, classifier) and online."""

from __future__ import annotations

import logging

from monitor.config import Config
from monitor.errors import ConnectorError, MonitorError

log = logging.getLogger(__name__)


def offline(config: Config) -> list[str]:
    """Problems that can be found without the network. Empty when all is well."""
    problems: list[str] = []
    from classifiers.base import load

    try:
        load(config.classifier.backend, **dict(config.classifier.options))
    except MonitorError as exc:
        problems.append(f"classifier: {exc}")
    from alerts import render

    problems += render.check_templates(config)
    if not config.alerts.recipients:
        problems.append("alerts.recipients is empty: nobody will receive alerts")
    if config.smtp is None:
        log.info("no [smtp] section: emails are written to %s", config.outbox_dir)
    return problems


def online(config: Config) -> list[str]:
    """One cheap call per account verifying credentials and permissions."""
    from monitor.pipeline import build_connector, new_http_session

    problems: list[str] = []
    for cfg in config.accounts:
        if not cfg.enabled:
            continue
        try:
            connector = build_connector(config, cfg, new_http_session())
            problems += [f"{cfg.name}: {p}" for p in connector.check()]
        except ConnectorError as exc:
            problems.append(f"{cfg.name}: {exc}")
    return problems
