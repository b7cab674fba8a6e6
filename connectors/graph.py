"""Meta's Graph API (Facebook Pages and Instagram), spoken with `requests` directly.

Why not facebook-sdk 3.1.0 (the design card's first choice): it was last released in 2018,
rejects every current version string, hard-codes the host, hides the HTTP status and the
usage headers we need for rate limits, and raises KeyError/ValueError on malformed answers.
Making it robust needs a URL-rewriting adapter, a response hook and exception wrapping: more
code than the ~100 lines below, which give us every header and status directly.

Errors (https://developers.facebook.com/docs/graph-api/guides/error-handling):
code 190 → AuthError; 10 and 200–299 → AuthError naming the missing permission;
4, 17, 32, 613, 80000–80014 → RateLimited (reset from the usage headers);
1, 2 and HTTP 5xx → TransientError; anything else → PermanentError.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

import requests

from connectors import http
from monitor.config import Secret
from monitor.errors import AuthError, ConnectorError, PermanentError, RateLimited, TransientError
from monitor.types import Account, Mark, RateLimit

GRAPH_VERSION = "v26.0"
THROTTLE_CODES = frozenset({4, 17, 32, 613, *range(80000, 80015)})
TRANSIENT_CODES = frozenset({1, 2})
USAGE_HEADERS = ("x-business-use-case-usage", "x-app-usage", "x-page-usage", "x-ad-account-usage")
PERMISSION = re.compile(r"\b((?:pages|instagram|business|read|manage)_[a-z_]+)\b")


def usage_from_headers(headers: Mapping[str, str], now: datetime) -> RateLimit | None:
    """The highest usage percentage in Meta's usage headers, and when access returns."""
    percent: float | None = None
    minutes = 0.0

    def take(entry: Any) -> None:
        nonlocal percent, minutes
        if not isinstance(entry, dict):
            return
        for key in ("call_count", "total_time", "total_cputime", "acc_id_util_pct"):
            value = entry.get(key)
            if isinstance(value, int | float):
                percent = max(percent or 0.0, float(value))
        eta = entry.get("estimated_time_to_regain_access")
        if isinstance(eta, int | float):
            minutes = max(minutes, float(eta))

    for name in USAGE_HEADERS:
        raw = headers.get(name)
        if not raw:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        if isinstance(data, dict) and any(isinstance(v, list) for v in data.values()):
            for entries in data.values():  # business use case: {id: [{type, call_count, …}]}
                for entry in entries if isinstance(entries, list) else ():
                    take(entry)
        else:
            take(data)
    if percent is None and not minutes:
        return None
    reset = now + timedelta(minutes=minutes) if minutes else None
    return RateLimit(used_percent=percent, reset_at=reset)


class Graph:
    """A small Graph API client bound to one token. Counts the requests it makes."""

    def __init__(
        self,
        session: requests.Session,
        *,
        platform: str,
        base_url: str,
        version: str,
        token: Secret,
        app_secret: Secret | None,
        clock: http.Clock,
    ) -> None:
        self.session = session
        self.platform = platform
        self.base_url = base_url.rstrip("/")
        self.version = version
        self.token = token
        self.proof = (
            hmac.new(app_secret.reveal().encode(), token.reveal().encode(), hashlib.sha256).hexdigest()
            if app_secret is not None
            else None
        )
        self.clock = clock
        self.requests = 0
        self.usage: RateLimit | None = None
        http.protect(token.reveal(), app_secret.reveal() if app_secret else None, self.proof)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{self.version}/{path.lstrip('/')}"

    def take_requests(self) -> int:
        made, self.requests = self.requests, 0
        return made

    def _auth(self, params: dict[str, Any]) -> dict[str, Any]:
        params = dict(params)
        params["access_token"] = self.token.reveal()
        if self.proof:
            params["appsecret_proof"] = self.proof
        return params

    def _before(self) -> None:
        # Honour the usage headers before the next request, not after the ban.
        usage = self.usage
        if usage is None or usage.used_percent is None or usage.used_percent < 100:
            return
        now = self.clock()
        if usage.reset_at is None or usage.reset_at <= now:
            self.usage = None  # the wait is over: ask again, and read the headers afresh
            return
        raise RateLimited(f"{self.platform}: API usage at {usage.used_percent:.0f}%", reset_at=usage.reset_at)

    def request(
        self, method: str, path_or_url: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """One call; a full URL (a `paging.next` link) is sent to our base URL as it is."""
        self._before()
        if path_or_url.startswith(("http://", "https://")):
            url = http.rebase(path_or_url, self.base_url)
            query = dict(params or {})
            if self.proof and "appsecret_proof=" not in url:
                query["appsecret_proof"] = self.proof
            if "access_token=" not in url:
                query["access_token"] = self.token.reveal()
        else:
            url, query = self.url(path_or_url), self._auth(dict(params or {}))
        self.requests += 1
        response = http.send(self.session, method, url, platform=self.platform, params=query)
        now = self.clock()
        usage = usage_from_headers(response.headers, now) or self.usage
        if (
            usage is not None
            and usage.used_percent is not None
            and usage.used_percent >= 100
            and usage.reset_at is None
        ):
            usage = dataclasses.replace(usage, reset_at=now + http.DEFAULT_WAIT)  # the wait starts now
        self.usage = usage
        if response.status_code >= 500 and "json" not in response.headers.get("content-type", ""):
            raise TransientError(f"{self.platform}: HTTP {response.status_code}")
        body = http.json_body(response, self.platform)
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            raise self.error(error, response, now)
        if response.status_code >= 400:
            raise http.classify(response, self.platform, now)
        if not isinstance(body, dict):
            raise TransientError(f"{self.platform}: expected a JSON object, got {type(body).__name__}")
        return body

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path_or_url, params)

    def error(self, error: Mapping[str, Any], response: requests.Response, now: datetime) -> ConnectorError:
        code = error.get("code")
        message = str(error.get("message") or "no message")[:300]
        said = f"(code {code}: {message})"
        if code == 190 or response.status_code == 401:
            return AuthError(f"{self.platform}: the access token is expired or invalid {said}")
        if code == 10 or (isinstance(code, int) and 200 <= code <= 299):
            found = PERMISSION.findall(message)
            lacks = f"lacks {', '.join(dict.fromkeys(found))}" if found else "lacks a permission"
            return AuthError(f"{self.platform}: the token {lacks} {said}")
        if code in THROTTLE_CODES or response.status_code == 429:
            usage = usage_from_headers(response.headers, now)
            reset = (usage.reset_at if usage else None) or http.reset_from_headers(response.headers, now)
            return RateLimited(
                f"{self.platform}: throttled {said}", reset_at=reset or now + timedelta(hours=1)
            )
        if code in TRANSIENT_CODES or response.status_code >= 500 or error.get("is_transient") is True:
            return TransientError(f"{self.platform}: temporary API error {said}")
        return PermanentError(f"{self.platform}: API error {said}")


def next_link(body: Mapping[str, Any]) -> str | None:
    paging = body.get("paging")
    if isinstance(paging, dict) and isinstance(paging.get("next"), str) and paging["next"]:
        return str(paging["next"])
    return None


def data_list(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


class GraphSettings(Protocol):
    """The settings every Graph API connector has (Facebook, Instagram)."""

    @property
    def app_secret(self) -> Secret | None: ...
    @property
    def base_url(self) -> str: ...
    @property
    def api_version(self) -> str: ...
    @property
    def first_poll_days(self) -> int: ...
    @property
    def overlap_minutes(self) -> int: ...


class GraphConnector:
    """What the Facebook and Instagram connectors share: one Graph client and the time window."""

    platform: ClassVar[str]

    def __init__(
        self, account: Account, settings: GraphSettings, session: requests.Session, token: Secret
    ) -> None:
        self.account = account
        self.clock: http.Clock = http.utcnow
        self.graph = Graph(
            session,
            platform=self.platform,
            base_url=settings.base_url,
            version=settings.api_version,
            token=token,
            app_secret=settings.app_secret,
            clock=lambda: self.clock(),
        )
        self._overlap = timedelta(minutes=settings.overlap_minutes)
        self._first_poll = timedelta(days=settings.first_poll_days)

    def _floor(self, mark: Mark, since: datetime | None, now: datetime) -> datetime:
        """The oldest time this fetch must cover (see `http.floor_for`)."""
        return http.floor_for(mark.time, since, now, overlap=self._overlap, first_poll=self._first_poll)
