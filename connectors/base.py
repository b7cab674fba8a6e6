"""The connector interface and registry.

One class per platform. A connector fetches everything newer than the stored
high-water marks and yields `Page`s; it never classifies, alerts, stores or sleeps.
Failures are raised as the `ConnectorError` subclasses in `monitor.errors`:
`AuthError` (needs a human), `RateLimited(reset_at)` (the scheduler waits),
`TransientError` (retry with backoff), `PermanentError`.

Built-in connectors are listed in `BUILTIN`; third parties register an entry point
in the group `monitor.connectors` whose value is the connector class.

Two optional attributes: the pipeline sets them when a connector has them
(monitor.pipeline.build_connector): `clock` (a callable returning aware UTC now, so the
connector's windows agree with the stored marks) and `vault` (a monitor.store.vault.SessionVault,
for a login session that should outlive the process, as Bluesky's must).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, ClassVar, Protocol

import requests

from monitor.errors import ConfigError, PermanentError
from monitor.types import Account, Mark, Page

ENTRY_POINT_GROUP = "monitor.connectors"

# platform -> "module:Class"
BUILTIN: dict[str, str] = {
    "replay": "connectors.replay:ReplayConnector",
    "facebook": "connectors.facebook:FacebookConnector",
    "instagram": "connectors.instagram:InstagramConnector",
    "youtube": "connectors.youtube:YouTubeConnector",
    "mastodon": "connectors.mastodon:MastodonConnector",
    "x": "connectors.x:XConnector",
    "bluesky": "connectors.bluesky:BlueskyConnector",
}

DEFAULT_TIMEOUT = (5.0, 30.0)  # connect, read (seconds): every request has one


class Connector(Protocol):
    platform: ClassVar[str]
    # A frozen dataclass describing this platform's keys in an `[[accounts]]` table.
    # Fields typed `Secret` are given by reference ({env=…}, {file=…}, {credential=…}).
    Settings: ClassVar[type[Any]]

    def __init__(self, account: Account, settings: Any, session: requests.Session) -> None: ...

    def fetch(self, marks: Mapping[str, Mark], since: datetime | None) -> Iterator[Page]:
        """Yield pages of items newer than `marks` (per stream) or, when given, `since`.

        `since` is a lower bound asked for by a person (`monitor scan --since 7d`); when it is
        None and a stream has no mark yet, fetch what the platform offers for the first poll
        (bounded by the connector's own first-poll window).
        """
        ...

    def check(self) -> list[str]:
        """One cheap call that verifies credentials and permissions; return the problems found."""
        ...

    def hide(self, external_id: str) -> None:
        """Hide one item on the platform, when a person asks (`monitor hide`)."""
        ...


def available() -> dict[str, str]:
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def connector_class(platform: str) -> type[Connector]:
    target = available().get(platform)
    if target is None:
        known = ", ".join(sorted(available()))
        raise ConfigError(f"unknown platform {platform!r} (known: {known})", key="platform")
    module_name, _, attr = target.partition(":")
    cls: type[Connector] = getattr(importlib.import_module(module_name), attr)
    return cls


def unsupported_hide(platform: str) -> PermanentError:
    return PermanentError(f"{platform} does not let an account hide this item through its API")
