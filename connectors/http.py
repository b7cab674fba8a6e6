"""Helpers every HTTP connector shares: requests with timeouts, error classification,
rate-limit header parsing, recent-id bookkeeping and log redaction.

    send()            one request; requests' exceptions → TransientError / PermanentError
    classify()        a non-2xx response → AuthError | RateLimited | TransientError | PermanentError
    json_body()       the body as JSON, or TransientError when it is not JSON
    reset_from_headers()   Retry-After, x-rate-limit-reset, RateLimit-Reset → a UTC time
    protect()         register a secret value; `Redactor` scrubs it from every log record

Nothing here sleeps: a rate limit becomes `RateLimited(reset_at)` and the pipeline waits.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from connectors.base import DEFAULT_TIMEOUT
from monitor.errors import AuthError, ConnectorError, PermanentError, RateLimited, TransientError

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
DEFAULT_WAIT = timedelta(minutes=15)  # when a platform says "slow down" without saying how long


def utcnow() -> datetime:
    return datetime.now(UTC)


# ------------------------------------------------------------------ redaction

_SECRETS: set[str] = set()
# Tokens that travel in URLs or headers even when nobody registered them.
_QUERY_TOKEN = re.compile(
    r"(?i)\b(access_token|appsecret_proof|input_token|client_secret|refresh_token|password|key)=[^&\s'\"]+"
)
_AUTH_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer |oauth |basic )?)[^'\"\s,}]+")
# Session tokens (JWTs) are masked by shape, so refreshed tokens need not be registered one by one.
_JWT = re.compile(r"\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")
# Loggers of the libraries the connectors use; records are scrubbed where they are made.
LIBRARY_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.util.retry",
    "requests_oauthlib.oauth1_auth",
    "requests_oauthlib.oauth2_session",
    "oauthlib.oauth1.rfc5849",
    "tweepy.client",
    "tweepy.api",
    "httpx",
    "httpcore.http11",
    "httpcore.connection",
    "mastodon",
    "atproto",
    "atproto_client",
)


def redact(text: str) -> str:
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _JWT.sub("***", _QUERY_TOKEN.sub(r"\1=***", text))
    return _AUTH_HEADER.sub(r"\1***", text)


class Redactor(logging.Filter):
    """Rewrites a record's message with every known secret and token-looking value masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: keep the template only
            message = str(record.msg)
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


_REDACTOR = Redactor()


def install_redaction(names: Iterable[str] = LIBRARY_LOGGERS) -> None:
    """Attach the redacting filter to the loggers that create records (idempotent)."""
    for name in (*names, "connectors"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


def protect(*values: str | None) -> None:
    """Remember secret values so no log record ever shows them."""
    for value in values:
        if value and len(value) >= 6:
            _SECRETS.add(value)
    install_redaction()


# ------------------------------------------------------------------ requests


def send(
    session: requests.Session, method: str, url: str, *, platform: str, **kwargs: Any
) -> requests.Response:
    """One HTTP request with a timeout; network failures become ConnectorErrors."""
    kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
    try:
        return session.request(method, url, **kwargs)
    except (
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.InvalidSchema,
    ) as exc:
        raise PermanentError(f"{platform}: bad API address ({exc.__class__.__name__})") from None
    except requests.exceptions.InvalidHeader as exc:
        raise PermanentError(f"{platform}: invalid request header ({exc.__class__.__name__})") from None
    except requests.exceptions.Timeout as exc:
        raise TransientError(f"{platform}: request timed out ({exc.__class__.__name__})") from None
    except requests.exceptions.RequestException as exc:
        raise TransientError(f"{platform}: request failed ({exc.__class__.__name__})") from None


def json_body(response: requests.Response, platform: str) -> Any:
    try:
        return response.json()
    except (ValueError, requests.exceptions.RequestException):
        raise TransientError(
            f"{platform}: the API answered HTTP {response.status_code} with a body that is not JSON"
        ) from None


def json_object(response: requests.Response, platform: str) -> dict[str, Any]:
    body = json_body(response, platform)
    if not isinstance(body, dict):
        raise TransientError(f"{platform}: expected a JSON object, got {type(body).__name__}")
    return body


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def reset_from_headers(headers: Mapping[str, str], now: datetime) -> datetime | None:
    """When the platform says the budget refills, from the usual headers (None if unsaid)."""
    epoch = _number(headers.get("x-rate-limit-reset"))  # X: epoch seconds
    if epoch is not None:
        return datetime.fromtimestamp(epoch, UTC)
    retry_after = headers.get("retry-after")
    if retry_after:
        seconds = _number(retry_after)
        if seconds is not None:
            return now + timedelta(seconds=max(0.0, seconds))
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    raw_reset = headers.get("ratelimit-reset") or headers.get("x-ratelimit-reset")
    if raw_reset and _number(raw_reset) is None:
        return parse_time(raw_reset)  # Mastodon: an ISO 8601 time
    reset = _number(raw_reset)
    if reset is not None:
        # Bluesky/Mastodon send epoch seconds; the IETF draft sends seconds from now.
        return datetime.fromtimestamp(reset, UTC) if reset > 1e9 else now + timedelta(seconds=reset)
    return None


def classify(response: requests.Response, platform: str, now: datetime, detail: str = "") -> ConnectorError:
    """The ConnectorError for a non-2xx response (the caller raises it)."""
    status = response.status_code
    what = f"{platform}: HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        reset = reset_from_headers(response.headers, now) or now + DEFAULT_WAIT
        return RateLimited(f"{platform}: rate limited", reset_at=reset)
    if status == 401:
        return AuthError(f"{what} (the token was rejected: expired, revoked or wrong)")
    if status == 403:
        return AuthError(f"{what} (the token lacks a permission, or the app lacks access)")
    if status >= 500 or status in (408, 425):
        return TransientError(what)
    return PermanentError(what)


def rebase(url: str, base_url: str) -> str:
    """Send a platform-supplied absolute URL (a `next` link) to the configured base URL."""
    target = urlsplit(base_url)
    parts = urlsplit(url)
    if not parts.scheme:
        return base_url.rstrip("/") + "/" + url.lstrip("/")
    prefix = target.path.rstrip("/")
    path = parts.path if not prefix or parts.path.startswith(prefix + "/") else prefix + parts.path
    return urlunsplit((target.scheme, target.netloc, path, parts.query, parts.fragment))


# ------------------------------------------------------------------ time


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 in any of the platforms' spellings ("+0000", "Z", fractions) → aware UTC."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = f"{text[:-2]}:{text[-2:]}"
    text = re.sub(r"\.(\d{6})\d+", r".\1", text)  # nanoseconds → microseconds
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def floor_for(
    mark_time: datetime | None,
    since: datetime | None,
    now: datetime,
    *,
    overlap: timedelta,
    first_poll: timedelta,
) -> datetime:
    """The oldest time a fetch must cover: the person's `since`, else the mark less the overlap."""
    if since is not None:
        return since
    if mark_time is not None:
        return mark_time - overlap
    return now - first_poll


# ------------------------------------------------------------------ recent ids (edits and deletions)


def load_recent(extra: Mapping[str, str]) -> dict[str, dict[str, float]]:
    """{container id: {item id: created epoch}} kept in a mark's `extra` (ids, never text)."""
    try:
        data = json.loads(extra.get("recent", "{}"))
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): {str(i): float(t) for i, t in v.items() if isinstance(t, int | float)}
        for k, v in data.items()
        if isinstance(v, dict)
    }


def dump_recent(
    recent: Mapping[str, Mapping[str, float]], now: datetime, keep: timedelta, cap: int = 1000
) -> str:
    horizon = (now - keep).timestamp()
    entries = sorted(
        ((t, c, i) for c, ids in recent.items() for i, t in ids.items() if t >= horizon), reverse=True
    )[:cap]
    out: dict[str, dict[str, float]] = {}
    for t, c, i in entries:
        out.setdefault(c, {})[i] = t
    return json.dumps(out, separators=(",", ":"), sort_keys=True)
