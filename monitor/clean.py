"""The one boundary where platform data enters the product: every string is made safe here.

Platforms send what their users typed, and users type anything: NUL bytes, lone
surrogates, control characters, bidi overrides, a megabyte of text, a name of 10,000
characters. `clean_page` runs on every page a connector returns, before anything is
stored, classified or emailed, so that no field can make a database, a template or an
email header fail, and one hostile comment can never stop the comments behind it:

* text (the comment itself): NUL and other control characters except tab and newline
  become U+FFFD; lone surrogates become U+FFFD; at most `MAX_TEXT` characters;
* one-line fields (ids, names, handles, links): control, format (bidi) and line
  separator characters are removed, whitespace is collapsed, and each is capped at its
  column's width (an id that is too long keeps a hash of the rest, so it stays unique);
* timestamps without a time zone are taken as UTC;
* the raw payload: every key and string cleaned, anything JSON cannot hold turned into text.

Homoglyphs and zero-width tricks in the text are left alone: they are evidence for the
classifier, which reads through them (`classifiers.normalise`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from monitor.types import Item, Mark, Page

MAX_TEXT = 20_000  # a 1 MB comment is kept as its first 20,000 characters
MAX_ID = 300  # the width of the id and name columns
MAX_LINK = 2_000
MAX_RAW_STRING = 20_000
MAX_RAW_DEPTH = 20
_KEEP_IN_TEXT = frozenset("\t\n")
_REPLACEMENT = "\ufffd"


def _valid_unicode(value: str) -> str:
    """Lone surrogates become U+FFFD; a valid surrogate pair becomes the character it encodes."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_text(value: str | None, limit: int = MAX_TEXT) -> str:
    """A comment's text: printable, valid Unicode, newlines kept, bounded."""
    if not value:
        return ""
    value = _valid_unicode(str(value)[: limit * 2]).replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in value:
        if ch in _KEEP_IN_TEXT or unicodedata.category(ch) != "Cc":
            out.append(ch)
        else:
            out.append(_REPLACEMENT)
    return "".join(out)[:limit]


def clean_line(value: object, limit: int = MAX_ID) -> str | None:
    """A one-line field (name, handle, id, link): no controls, no bidi or format characters."""
    if value is None:
        return None
    raw = str(value)
    text = _valid_unicode(raw[: limit * 4])
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Zl", "Zp") or ch in "\t":
            kept.append(" ")
        elif category == "Cf":  # bidi overrides, zero-width characters: invisible, so dropped
            continue
        else:
            kept.append(ch)
    line = " ".join("".join(kept).split())
    if not line:
        return None
    if len(line) <= limit and len(raw) <= limit * 4:
        return line
    # Too long: keep the start and a hash of the *whole* value, so two long ids or handles
    # that share a beginning stay two (an erasure request must never reach another person).
    digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{line[: limit - 18]}#{digest}"


def clean_id(value: object) -> str:
    """An id the item cannot do without (external id, account): never empty."""
    return clean_line(value, MAX_ID) or _REPLACEMENT


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def clean_raw(value: Any, depth: int = 0) -> Any:
    """The platform's payload as plain JSON data with clean strings (it is stored only on request)."""
    if depth > MAX_RAW_DEPTH:
        return None
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return clean_text(value, MAX_RAW_STRING)
    if isinstance(value, Mapping):
        return {clean_line(k, 200) or "?": clean_raw(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_raw(v, depth + 1) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return clean_text(str(value), MAX_RAW_STRING)


def clean_item(item: Item) -> Item:
    return dataclasses.replace(
        item,
        platform=clean_id(item.platform)[:30],
        external_id=clean_id(item.external_id),
        account=clean_id(item.account)[:100],
        text=clean_text(item.text),
        created_at=_utc(item.created_at) or datetime.now(UTC),
        post_id=clean_line(item.post_id),
        parent_id=clean_line(item.parent_id),
        author_id=clean_line(item.author_id),
        author_handle=clean_line(item.author_handle),
        author_name=clean_line(item.author_name),
        permalink=clean_line(item.permalink, MAX_LINK),
        updated_at=_utc(item.updated_at),
        raw=clean_raw(dict(item.raw)) if item.raw else {},
    )


def clean_mark(mark: Mark) -> Mark:
    return Mark(
        time=_utc(mark.time),
        id=clean_line(mark.id, 200),
        extra={clean_line(k, 100) or "?": clean_text(str(v), 4_000) for k, v in (mark.extra or {}).items()},
    )


def clean_page(page: Page) -> Page:
    """Every string in a connector's page, made safe to store, classify and email."""
    return dataclasses.replace(
        page,
        items=tuple(clean_item(item) for item in page.items),
        marks={clean_line(stream, 50) or "?": clean_mark(mark) for stream, mark in page.marks.items()},
        deleted=tuple(clean_id(external_id) for external_id in page.deleted),
        reads=tuple(dataclasses.replace(r, resource=clean_id(r.resource)) for r in page.reads),
        warnings=tuple(clean_text(w, 1_000).replace("\n", " ") for w in page.warnings),
    )
