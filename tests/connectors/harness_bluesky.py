"""The Bluesky harness: a fake XRPC server (loopback, because atproto speaks httpx) answering
with payloads shaped like the real lexicon responses (tests/data/bluesky/)."""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

import requests

from connectors.base import Connector
from monitor.types import Account
from tests.connectors.harness import JSON, NOW, Harness, Rec, Reply, load, query

PASSWORD = "k3vq-7xnd-p2ma-w9tz"  # the app-password format
ME = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
HANDLE = "elmfieldcounselling.bsky.social"
VISITOR = "did:plc:4llrhdclvdlmmynkwsmg5tdc"
FAR = 4102444800  # 2100-01-01: atproto reads `exp` with the real clock


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=").decode()


def jwt(kind: str, n: int, exp: int = FAR) -> str:
    """A JWT-shaped token (atproto decodes the payload to see when to refresh)."""
    header = {"typ": "at+jwt" if kind == "access" else "refresh+jwt", "alg": "ES256K"}
    payload = {
        "scope": "com.atproto.appPass" if kind == "access" else "com.atproto.refresh",
        "sub": ME,
        "iat": 1732100000 + n,
        "exp": exp,
        "aud": "did:web:morel.us-east.host.bsky.network",
    }
    signature = base64.urlsafe_b64encode(f"sig-{kind}-{n}-{exp}".encode()).rstrip(b"=").decode()
    return f"{_b64(header)}.{_b64(payload)}.{signature}"


def tid(text: str) -> str:
    """A record key in the TID alphabet, stable per test record."""
    alphabet = "234567abcdefghijklmnopqrstuvwxyz"
    digits = "".join(alphabet[ord(c) % 32] for c in text)
    return ("3lbf" + digits + "a" * 9)[:13]


def post_uri(did: str, key: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{key}"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def bearer(request: Any) -> str:
    headers = {k.lower(): v for k, v in request.headers.items()}
    return str(headers.get("authorization", "")).removeprefix("Bearer ")


def xrpc_error(status: int, name: str, headers: dict[str, str] | None = None) -> Reply:
    files = {
        "ExpiredToken": "error_expired.json",
        "AuthenticationRequired": "error_auth.json",
        "RateLimitExceeded": "error_ratelimit.json",
        "InvalidRequest": "error_profile.json",
        "RecordNotFound": "error_record.json",
    }
    return status, {**JSON, **(headers or {})}, json.dumps(load("bluesky", files[name]))


@dataclass
class BlueskyHarness(Harness):
    """The daemon keeps one connector per account, so `connector()` hands back the same one
    for the same server: its session (one createSession) lives across polls."""

    platform: ClassVar[str] = "bluesky"
    streams: ClassVar[int] = 2  # notifications, own
    edits: ClassVar[str | None] = "Bluesky posts cannot be edited"
    deletions: ClassVar[str | None] = "Bluesky notifications do not report deleted posts"
    secrets: ClassVar[tuple[str, ...]] = (
        PASSWORD,
        *(jwt(kind, n) for n in (1, 2, 3) for kind in ("access", "refresh")),
    )
    base_url: ClassVar[str] = "https://bsky.test"
    loopback: ClassVar[bool] = True
    page_size: ClassVar[int] = 50

    own: list[Rec] = field(default_factory=list)
    password: str = PASSWORD
    access_exp: int = FAR
    logins: int = 0
    access: str = ""
    refresh: str = ""
    issued: set[str] = field(default_factory=set)  # every access token it has handed out
    threadgate: dict[str, Any] | None = None
    profile_missing: bool = False
    written: list[dict[str, Any]] = field(default_factory=list)
    cache: dict[str, Connector] = field(default_factory=dict)

    def connector(self, base_url: str, session: requests.Session | None = None) -> Connector:
        from connectors.bluesky import BlueskyConnector, BlueskySettings
        from monitor.config import Secret

        if base_url not in self.cache:
            settings = BlueskySettings(
                app_password=Secret(self.password, "env:BSKY"), base_url=base_url, page_size=self.page_size
            )
            c = BlueskyConnector(Account("bsky", "bluesky", HANDLE), settings, session or requests.Session())
            c.clock = lambda: NOW
            self.cache[base_url] = c
        return self.cache[base_url]

    def external_id(self, rec: Rec) -> str:
        return post_uri(VISITOR, tid(rec.id))

    # ------------------------------------------------------------------ payloads

    def notification(self, rec: Rec) -> dict[str, Any]:
        n: dict[str, Any] = copy.deepcopy(load("bluesky", "notification.json"))
        root = post_uri(ME, tid(rec.post))
        parent = self.external_id(Rec(rec.reply_to, "", rec.at)) if rec.reply_to else root
        n["uri"] = self.external_id(rec)
        n["reasonSubject"] = root
        n["record"]["text"] = rec.text
        n["record"]["createdAt"] = iso(rec.at)
        n["indexedAt"] = iso(rec.at + timedelta(seconds=1))
        if rec.post in ("mention", "quote"):
            n["reason"] = rec.post
            del n["record"]["reply"]
        else:
            n["record"]["reply"]["root"]["uri"] = root
            n["record"]["reply"]["parent"]["uri"] = parent
        return n

    def feed_item(self, rec: Rec) -> dict[str, Any]:
        f: dict[str, Any] = copy.deepcopy(load("bluesky", "feed_item.json"))
        f["post"]["uri"] = post_uri(ME, tid(rec.id))
        f["post"]["record"]["text"] = rec.text
        f["post"]["record"]["createdAt"] = iso(rec.at)
        f["post"]["indexedAt"] = iso(rec.at + timedelta(seconds=1))
        if rec.reply_to:
            root = post_uri(ME, tid(rec.post))
            ref = {"cid": f["post"]["cid"], "uri": self.external_id(Rec(rec.reply_to, "", rec.at))}
            f["post"]["record"]["reply"] = {"root": {"cid": f["post"]["cid"], "uri": root}, "parent": ref}
        return f

    def session_body(self, base_url: str) -> dict[str, Any]:
        body: dict[str, Any] = copy.deepcopy(load("bluesky", "createSession.json"))
        body["didDoc"]["service"][0]["serviceEndpoint"] = base_url  # the PDS is this server
        body["accessJwt"], body["refreshJwt"] = self.access, self.refresh
        return body

    # ------------------------------------------------------------------ routes

    def install(self, mock: Any) -> None:
        def authed(request: Any) -> Reply | None:
            if self.failure and self.failure != "throttled":
                return self.fail_reply(self.failure)[0]
            token = bearer(request)
            if token == self.access:
                return None
            if token in self.issued:  # a token it made and no longer accepts, as a PDS says it
                return xrpc_error(400, "ExpiredToken")
            return xrpc_error(401, "AuthenticationRequired")

        def create_session(request: Any) -> Reply:
            if self.failure == "throttled":
                return self.fail_reply("throttled")[0]
            sent = json.loads(request.body or b"{}")
            if sent.get("identifier") != HANDLE or sent.get("password") != PASSWORD:
                return xrpc_error(401, "AuthenticationRequired")
            self.logins += 1
            self.access = jwt("access", self.logins, self.access_exp)
            self.refresh = jwt("refresh", self.logins)
            self.issued.add(self.access)
            return 200, JSON, json.dumps(self.session_body(mock.base_url))

        def refresh_session(request: Any) -> Reply:
            if self.failure == "expired":
                return xrpc_error(400, "ExpiredToken")
            if bearer(request) != self.refresh:
                return xrpc_error(400, "ExpiredToken")
            self.logins += 1
            self.access, self.refresh = jwt("access", self.logins), jwt("refresh", self.logins)
            self.issued.add(self.access)
            body = self.session_body(mock.base_url)
            body.pop("email"), body.pop("emailConfirmed"), body.pop("emailAuthFactor")
            return 200, JSON, json.dumps(body)

        def notifications(request: Any) -> Reply:
            if (denied := authed(request)) is not None:
                return denied
            q = query(request.url)
            assert set(re.findall(r"reasons=(\w+)", request.url)) == {"reply", "mention", "quote"}
            index = int(q.get("cursor", "page0")[4:])
            recs = self.pages[index] if index < len(self.pages) else []
            data = [self.notification(r) for r in sorted(recs, key=lambda r: r.at, reverse=True)]
            body: dict[str, Any] = {"notifications": data, "priority": False, "seenAt": iso(NOW)}
            if index + 1 < len(self.pages):
                body["cursor"] = f"page{index + 1}"
            return 200, self.limit_headers(), json.dumps(body)

        def author_feed(request: Any) -> Reply:
            if (denied := authed(request)) is not None:
                return denied
            assert query(request.url)["actor"] == ME
            feed = [self.feed_item(r) for r in sorted(self.own, key=lambda r: r.at, reverse=True)]
            return 200, self.limit_headers(), json.dumps({"feed": feed})

        def profile(request: Any) -> Reply:
            if (denied := authed(request)) is not None:
                return denied
            if self.profile_missing:
                return xrpc_error(400, "InvalidRequest")
            return 200, JSON, json.dumps(load("bluesky", "getProfile.json"))

        def posts(request: Any) -> Reply:
            if (denied := authed(request)) is not None:
                return denied
            wanted = query(request.url)["uris"]
            found = [n for p in self.pages for n in map(self.notification, p) if n["uri"] == wanted]
            views = [{**{k: n[k] for k in ("uri", "cid", "author", "record", "indexedAt")}} for n in found]
            return 200, JSON, json.dumps({"posts": views})

        def get_record(request: Any) -> Reply:
            if (denied := authed(request)) is not None:
                return denied
            if self.threadgate is None:
                return xrpc_error(400, "RecordNotFound")
            return 200, JSON, json.dumps(self.threadgate)

        def put_record(request: Any) -> Reply:
            if (denied := authed(request)) is not None:
                return denied
            sent = json.loads(request.body)
            self.written.append(sent)
            uri = f"at://{sent['repo']}/{sent['collection']}/{sent['rkey']}"
            cid = "bafyreigmxtkbxtyyh3xd7ndyrs4ec6r4omhqjjnrvuiqabnbfkafvfb3bi"
            self.threadgate = {"uri": uri, "cid": cid, "value": sent["record"]}
            return 200, JSON, json.dumps({"uri": uri, "cid": cid, "validationStatus": "valid"})

        def update_seen(request: Any) -> Reply:
            return 200, JSON, "{}"

        x = r".*/xrpc/"
        mock.add_callback("POST", re.compile(x + r"com\.atproto\.server\.createSession"), create_session)
        mock.add_callback("POST", re.compile(x + r"com\.atproto\.server\.refreshSession"), refresh_session)
        mock.add_callback("GET", re.compile(x + r"app\.bsky\.notification\.listNotifications"), notifications)
        mock.add_callback("POST", re.compile(x + r"app\.bsky\.notification\.updateSeen"), update_seen)
        mock.add_callback("GET", re.compile(x + r"app\.bsky\.feed\.getAuthorFeed"), author_feed)
        mock.add_callback("GET", re.compile(x + r"app\.bsky\.feed\.getPosts"), posts)
        mock.add_callback("GET", re.compile(x + r"app\.bsky\.actor\.getProfile"), profile)
        mock.add_callback("GET", re.compile(x + r"com\.atproto\.repo\.getRecord"), get_record)
        mock.add_callback("POST", re.compile(x + r"com\.atproto\.repo\.putRecord"), put_record)

    def limit_headers(self) -> dict[str, str]:
        reset = int((NOW + timedelta(minutes=5)).timestamp())
        return {
            **JSON,
            "RateLimit-Limit": "3000",
            "RateLimit-Remaining": "2990",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": "3000;w=300",
        }

    def fail_reply(self, kind: str) -> tuple[Reply, datetime | None]:
        if kind == "5xx":
            body = json.dumps({"error": "InternalServerError", "message": "Internal Server Error"})
            return (500, JSON, body), None
        if kind in ("429", "throttled"):
            # throttled: createSession's own limit (300 a day), reached when logging in
            reset = NOW + (timedelta(minutes=3) if kind == "429" else timedelta(hours=9))
            policy = "3000;w=300" if kind == "429" else "300;w=86400"
            headers = {
                "RateLimit-Limit": policy.split(";")[0],
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(int(reset.timestamp())),
                "RateLimit-Policy": policy,
            }
            return xrpc_error(429, "RateLimitExceeded", headers), reset
        if kind == "malformed":
            return (200, JSON, '{"notifications": [{"uri": "at://did:plc:x/app.bsky.feed.post/3l'), None
        if kind == "expired":
            return xrpc_error(400, "ExpiredToken"), None
        raise ValueError(kind)
