"""Checks behind `monitor check-config`: offline (files, templates, classifier) and online."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitor.config import Config
from monitor.errors import ConnectorError, MonitorError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Offline:
    """What the offline checks found: problems (check-config exits 1) and warnings (it does not)."""

    problems: tuple[str, ...]
    warnings: tuple[str, ...]


def offline(config: Config) -> Offline:
    """Problems that can be found without the network, and warnings such as a missing encoder."""
    problems: list[str] = []
    warnings: tuple[str, ...] = ()
    from classifiers.base import load, notices

    try:
        classifier = load(config.classifier.backend, **config.classifier_options)
        warnings = notices(classifier)
    except MonitorError as exc:
        problems.append(f"classifier: {exc}")
    from alerts import render

    problems += render.check_templates(config)
    if not config.alerts.recipients:
        problems.append("alerts.recipients is empty: nobody will receive alerts")
    if config.smtp is None:
        log.info("no [smtp] section: emails are written to %s", config.outbox_dir)
    return Offline(tuple(problems), warnings)


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
