"""Rule every cue table in or out of a text with one Hyperscan scan.

Each cue table (:class:`classifiers.cues.Table`) has a *gate*, one regular expression that
any of its cues needs. Searching some forty gates with Python's ``re`` is most of the default
classifier's time. `Hyperscan <https://intel.github.io/hyperscan/>`_ in prefilter mode
(``HS_FLAG_PREFILTER``) compiles all of them into one automaton and reports, in one pass, every
table whose gate *could* match: a superset, never fewer. :class:`classifiers.cues.Searcher` then
runs the ``re`` gate and the cues only for the tables it names, so the labels are exactly the
ones ``re`` alone gives.

Hyperscan scans bytes, and its UTF-8 mode compiles ten times slower. So text and patterns are
mapped to one byte per code point: ASCII as itself, any other code point to
``0x80 | (code point & 0x7f)``. A collision between two code points can only add candidates.
Constructs whose meaning would shrink under that mapping are widened (``\\w``, ``\\s`` and
``\\d`` also take the bytes 0x80-0xff; ``\\b``, ``^`` and ``$`` are dropped; non-ASCII members
of negated classes are dropped). A construct the rewriter does not know leaves that table to
``re`` alone.

Compiling takes a few seconds, so the database is cached (``$MONITOR_CACHE_DIR``, systemd's
``$CACHE_DIRECTORY``, or the user cache directory), keyed by a hash of the patterns and the
Hyperscan version. Without Hyperscan (no wheel for the platform) or when it fails, every table
uses its ``re`` gate: slower, with the same results.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import platformdirs

log = logging.getLogger(__name__)

__all__ = ["Prefilter", "cache_dir", "encode", "to_bytes_pattern"]

FORMAT = 1  # bump when the rewriting below changes what a cached database means
_SAFE_GROUPS = ("(?:", "(?=", "(?!", "(?<=", "(?<!")


# Python's \w, \s and \d over str, as byte classes that take at least as much
_WIDE = {"w": r"[\w\x80-\xff]", "s": r"[\s\x1c-\x1f\x80-\xff]", "d": r"[\d\x80-\xff]"}


def _byte(ch: str) -> str:
    return f"\\x{0x80 | (ord(ch) & 0x7F):02x}"


class _High(dict[int, int]):
    """``str.translate`` table: ASCII stays, any other code point becomes one high byte.
    Remembers at most ``LIMIT`` code points, so hostile text cannot grow it without bound."""

    LIMIT = 4096

    def __missing__(self, code: int) -> int:
        value = code if code < 0x80 else 0x80 | (code & 0x7F)
        if len(self) < self.LIMIT:
            self[code] = value
        return value


_HIGH = _High()


def encode(text: str) -> bytes:
    """The bytes Hyperscan scans for ``text``: one byte per code point (see module doc)."""
    if text.isascii():
        return text.encode("ascii")
    return text.translate(_HIGH).encode("latin-1")


def to_bytes_pattern(rx: str) -> str | None:
    """``rx`` rewritten to match a superset over :func:`encode`'s bytes, or None if unsure."""
    out: list[str] = []
    i, n = 0, len(rx)
    while i < n:
        ch = rx[i]
        if ch == "\\":
            if i + 1 >= n:
                return None
            nxt, i = rx[i + 1], i + 2
            if nxt in "wsd":
                out.append(_WIDE[nxt])
            elif nxt in "WSD":
                out.append("\\" + nxt)  # over bytes these already take every high byte
            elif nxt in "bBAZ":
                pass  # an assertion dropped: the pattern can only match more
            elif ord(nxt) > 0x7F:
                out.append(_byte(nxt))
            elif nxt.isalnum():
                if nxt not in "nrtfv":
                    return None  # \x, \u, \N, back-references...: leave the table to re
                out.append("\\" + nxt)
            else:
                out.append("\\" + nxt)
        elif ch == "[":
            cls, i = _char_class(rx, i)
            if cls is None:
                return None
            out.append(cls)
        elif ch in "^$":
            i += 1  # anchors dropped (Hyperscan refuses embedded ones)
        elif ch == "(" and rx.startswith("(?", i):
            group = next((g for g in _SAFE_GROUPS if rx.startswith(g, i)), None)
            if group is None:
                return None  # inline flags, named groups, conditionals
            out.append(group)
            i += len(group)
        elif ord(ch) > 0x7F:
            out.append(_byte(ch))
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _char_class(rx: str, i: int) -> tuple[str | None, int]:
    """Rewrite the class starting at ``rx[i] == '['``; returns (class, index after it)."""
    i += 1
    negated = i < len(rx) and rx[i] == "^"
    if negated:
        i += 1
    members: list[str] = []
    high = False
    first = True
    while True:
        if i >= len(rx):
            return None, i
        ch = rx[i]
        if ch == "]" and not first:
            i += 1
            break
        first = False
        if ch == "\\":
            if i + 1 >= len(rx):
                return None, i
            nxt = rx[i + 1]
            i += 2
            if rx.startswith("-", i) and not rx.startswith("-]", i):
                return None, i  # a range from an escaped character
            if nxt in "wsd":
                members.append("\\" + nxt + ("\\x1c-\\x1f" if nxt == "s" and not negated else ""))
                high = high or not negated
            elif nxt in "WSD":
                if negated:
                    return None, i  # [^\W] means word characters, Unicode ones too
                members.append("\\" + nxt)
            elif ord(nxt) > 0x7F:
                if not negated:
                    members.append(_byte(nxt))
            elif nxt.isalnum():
                if nxt not in "nrtf":
                    return None, i
                members.append("\\" + nxt)
            else:
                members.append("\\" + nxt)
            continue
        # a range lo-hi of literals
        if i + 2 < len(rx) and rx[i + 1] == "-" and rx[i + 2] != "]":
            lo, hi = ch, rx[i + 2]
            if hi == "\\":
                return None, i  # a range to an escaped character
            i += 3
            if ord(lo) > ord(hi):
                return None, i
            if ord(hi) <= 0x7F:
                members.append(_lit(lo) + "-" + _lit(hi))
            else:
                if ord(lo) <= 0x7F:
                    members.append(_lit(lo) + "-\\x7f")
                high = high or not negated
            continue
        i += 1
        if ord(ch) > 0x7F:
            if not negated:
                members.append(_byte(ch))
        else:
            members.append(_lit(ch))
    if high:
        members.append("\\x80-\\xff")
    if not members:
        return ("[\\x00-\\xff]" if negated else None), i
    return "[" + ("^" if negated else "") + "".join(members) + "]", i


def _lit(ch: str) -> str:
    return "\\" + ch if ch in "[]\\^-" else ch


def cache_dir() -> Path:
    env = os.environ.get("MONITOR_CACHE_DIR") or os.environ.get("CACHE_DIRECTORY", "").split(":")[0]
    return Path(env) if env else Path(platformdirs.user_cache_dir("monitor"))


class Prefilter:
    """One Hyperscan database over many gate patterns: ``candidates(text)`` names the tables
    whose gate may match; ``covered`` are the tables it can speak for (the rest use ``re``)."""

    def __init__(self, patterns: Sequence[str], *, cache: Path | None = None) -> None:
        import hyperscan  # optional: the caller falls back to re without it

        self._hs: Any = hyperscan
        self.patterns = tuple(patterns)
        rewritten = {i: to_bytes_pattern(p) for i, p in enumerate(patterns)}
        self._patterns = {i: p for i, p in rewritten.items() if p is not None}
        self.db = self._load_or_compile(cache if cache is not None else cache_dir())
        self.covered = frozenset(self._patterns)
        self._local = threading.local()

    def _key(self) -> str:
        h = hashlib.sha256(f"{FORMAT} {self._hs.__version__}".encode())
        for i, p in sorted(self._patterns.items()):
            h.update(f"\0{i}\0{p}".encode())
        return h.hexdigest()[:20]

    def _load_or_compile(self, where: Path) -> Any:
        hs = self._hs
        path = where / f"prefilter-{self._key()}.hsdb"
        try:
            return hs.loadb(path.read_bytes(), hs.HS_MODE_BLOCK)
        except FileNotFoundError:
            pass
        except (OSError, hs.error) as exc:  # another CPU, a truncated file: compile again
            log.info("prefilter cache %s not usable (%s); compiling", path, exc)
        started = time.perf_counter()
        db = self._compile()
        log.info(
            "compiled the cue-table prefilter (%d patterns) in %.1f s; caching it in %s",
            len(self._patterns),
            time.perf_counter() - started,
            where,
        )
        try:
            where.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(hs.dumpb(db))
            os.replace(tmp, path)
            for old in where.glob("prefilter-*.hsdb"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.info("cannot cache the prefilter in %s (%s); it is compiled at each start", where, exc)
        return db

    def _compile(self) -> Any:
        hs = self._hs
        flags = hs.HS_FLAG_PREFILTER | hs.HS_FLAG_SINGLEMATCH | hs.HS_FLAG_ALLOWEMPTY
        while True:
            ids = sorted(self._patterns)
            db = hs.Database(mode=hs.HS_MODE_BLOCK)
            try:
                db.compile(
                    expressions=[self._patterns[i].encode("latin-1") for i in ids],
                    ids=ids,
                    elements=len(ids),
                    flags=[flags] * len(ids),
                )
                return db
            except hs.error:
                bad = [i for i in ids if not self._compiles(i, flags)]
                if not bad:
                    raise
                for i in bad:  # leave these to re and try the rest again
                    log.debug("prefilter: gate %d left to re", i)
                    del self._patterns[i]

    def _compiles(self, i: int, flags: int) -> bool:
        db = self._hs.Database(mode=self._hs.HS_MODE_BLOCK)
        try:
            db.compile(expressions=[self._patterns[i].encode("latin-1")], ids=[i], elements=1, flags=[flags])
        except self._hs.error:
            return False
        return True

    def candidates(self, text: str) -> set[int]:
        """The tables whose gate may match ``text`` (the last text's answer is kept)."""
        local = self._local
        if getattr(local, "text", None) is text:
            return local.found  # type: ignore[no-any-return]
        found: set[int] = set()
        scratch = getattr(local, "scratch", None)
        if scratch is None:
            scratch = local.scratch = self._hs.Scratch(self.db)
        self.db.scan(encode(text), match_event_handler=_collect, context=found, scratch=scratch)
        local.text, local.found = text, found
        return found


def _collect(ident: int, _start: int, _end: int, _flags: int, found: set[int]) -> None:
    found.add(ident)
