"""Evasion-resistant text normalisation with an offset map back to the original text.

Every detector matches against a normalised *view* of the text, never the raw text, so
that "k і l l" with a Cyrillic "і", "𝐤𝐢𝐥𝐥", "ｋｉｌｌ", "k\u200bill" and "k1ll" all read as
"kill". Each view keeps, for every character, the index of the original character it
came from, so a match in a view maps back to a span of the original text (for masking).

Views (all built by :func:`normalise`):

``cased``
    Unicode NFKC (full-width, mathematical alphanumerics, ligatures, circled letters),
    combining marks stripped (accents, strike-through overlays), Cyrillic/Greek
    look-alikes mapped to Latin inside Latin-looking words, invisible characters removed
    (zero-width, soft hyphen, bidi overrides and isolates, other format characters),
    control characters and lone surrogates turned into spaces. Case is kept (names).
``lower``
    ``cased`` lower-cased, same length.
``match``
    ``lower`` with leetspeak undone inside words ("k1ll" -> "kill", "$hit" -> "shit"),
    spaced-out letters joined ("k i l l", "k.i.l.l" -> "kill") and letter floods
    shortened ("fuuuuck" -> "fuck"). Lexicons and learned models read this view.

No third-party dependency: the confusables table below is deliberately small (the
letters that look Latin in common fonts); the ``unicodedata`` module does the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["CONFUSABLES", "Normalised", "fold", "normalise"]

# Cyrillic and Greek letters that render like Latin ones (subset of Unicode confusables.txt).
CONFUSABLES: dict[str, str] = {
    # Cyrillic lower case
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y",
    "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ѡ": "w", "ү": "y", "ɡ": "g",
    "ӏ": "l", "ь": "b",
    # Cyrillic upper case
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "Һ": "H", "І": "I", "Ї": "I", "Ј": "J",
    "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T", "У": "Y",
    "Х": "X", "Ѕ": "S", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ү": "Y", "Ӏ": "I",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "c",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Latin letters NFKD does not fold
    "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ħ": "h", "ı": "i",
    "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
    # typographic quotes, so that "don’t" matches "don't"
    "\u2019": "'", "\u2018": "'", "\u201b": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
}  # fmt: skip

_LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "!": "i", "|": "l", "€": "e", "£": "l",
}  # fmt: skip

Offsets = list[int]


@dataclass(frozen=True)
class Normalised:
    """The views of one text. ``*_offsets[i]`` is the original index of view char ``i``."""

    original: str
    cased: str
    cased_offsets: tuple[int, ...]
    lower: str
    match: str
    match_offsets: tuple[int, ...]

    def span_in_original(self, start: int, end: int, *, view: str = "match") -> tuple[int, int]:
        """Map ``[start, end)`` in a view (``"match"``, ``"cased"`` or ``"lower"``) back."""
        offs = self.match_offsets if view == "match" else self.cased_offsets
        if not offs or start >= end:
            return (0, 0)
        start = max(0, min(start, len(offs) - 1))
        last = max(start, min(end - 1, len(offs) - 1))
        return (offs[start], offs[last] + 1)


def _char_out(ch: str) -> str:
    """What one original character becomes in the cased view ("" to drop it)."""
    if ch in CONFUSABLES:
        return CONFUSABLES[ch]
    cat = unicodedata.category(ch)
    if cat == "Cf" or cat == "Mn" or cat == "Me":
        return ""  # zero-width, soft hyphen, bidi controls, combining marks
    if cat == "Cc" or cat == "Cs" or cat == "Co" or cat == "Cn":
        return "\n" if ch in "\n\r" else " "
    if ch.isascii():
        return ch
    out = unicodedata.normalize("NFKD", ch)
    out = "".join(c for c in out if not unicodedata.combining(c))
    out = unicodedata.normalize("NFKC", out)
    # NFKC can re-introduce a look-alike (e.g. mathematical Greek); map once more.
    return "".join(CONFUSABLES.get(c, c) for c in out)


_CACHE: dict[str, str] = {}


def _char_out_cached(ch: str) -> str:
    out = _CACHE.get(ch)
    if out is None:
        out = _char_out(ch)
        if len(_CACHE) < 50_000:
            _CACHE[ch] = out
    return out


def _is_cyr_greek(ch: str) -> bool:
    return "\u0370" <= ch <= "\u052f"


_WORDISH = re.compile(r"\S+")


def _protect_foreign_words(text: str) -> set[int]:
    """Indices of Cyrillic/Greek letters in genuinely non-Latin words (not to be mapped).

    A word is left alone when it has no Latin letter and at least one letter that has no
    Latin look-alike (so real Russian or Greek is not turned into nonsense).
    """
    keep: set[int] = set()
    for m in _WORDISH.finditer(text):
        word = m.group()
        if not any(_is_cyr_greek(c) for c in word):
            continue
        has_latin = any(c.isascii() and c.isalpha() for c in word)
        all_lookalike = all(c in CONFUSABLES for c in word if _is_cyr_greek(c))
        if not has_latin and not all_lookalike:
            keep.update(m.start() + i for i, c in enumerate(word) if _is_cyr_greek(c))
    return keep


_ASCII_CTRL = {i: " " for i in range(32) if chr(i) not in "\n\t"}
_ASCII_CTRL[127] = " "


def _base(text: str) -> tuple[str, Offsets]:
    if text.isascii():
        return text.translate(_ASCII_CTRL), list(range(len(text)))
    protect = _protect_foreign_words(text) if any(_is_cyr_greek(c) for c in text) else set()
    parts: list[str] = []
    offs: Offsets = []
    for i, ch in enumerate(text):
        out = ch if i in protect else _char_out_cached(ch)
        if len(out) == 1:
            parts.append(out)
            offs.append(i)
        elif out:
            parts.append(out)
            offs.extend([i] * len(out))
    return "".join(parts), offs


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in text)


def _rewrite(
    text: str, offs: Offsets, pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str]
) -> tuple[str, Offsets]:
    """Apply a regex substitution whose replacement keeps or deletes characters only.

    ``repl`` returns, for a match, a string of the same length in which each character is
    either the replacement for the matched character at that position or ``"\\0"`` to drop
    it. This keeps a 1:1 offset map without bookkeeping in every rule.
    """
    pieces: list[str] = []
    new_offs: Offsets = []
    pos = 0
    for m in pattern.finditer(text):
        s, e = m.span()
        pieces.append(text[pos:s])
        new_offs.extend(offs[pos:s])
        rep = repl(m)
        for k, c in enumerate(rep):
            if c != "\0":
                pieces.append(c)
                new_offs.append(offs[s + k])
        pos = e
    if pos == 0:
        return text, offs
    pieces.append(text[pos:])
    new_offs.extend(offs[pos:])
    return "".join(pieces), new_offs


# A "word" that mixes letters with leet digits/symbols, e.g. k1ll, $hit, b!tch, @ss.
# Only words that contain a leet character are candidates (the look-ahead skips the rest
# without a Python call per word).
_LEET_WORD = re.compile(r"(?<![\w@$])(?=[\w@$!|€£]*[0-9@$!|€£])[\w@$!|€£]*[a-z][\w@$!|€£]*")
# Single letters separated by single separators: k i l l, k.i.l.l, k-i-l-l, k*i*l*l
_SPACED = re.compile(r"(?<![\w])(?:[a-z][ .\-_*·]){2,}[a-z](?![\w])")
_FLOOD = re.compile(r"([a-z])\1{2,}")
_VOWELS = frozenset("aeiouy")


def _unleet(m: re.Match[str]) -> str:
    word = m.group()
    letters = sum(c.isalpha() for c in word)
    leet = sum(c in _LEET for c in word)
    if leet == 0 or letters < 2 or leet > letters or word.isdigit():
        return word
    chars = list(word)
    # do not turn a sentence-final "!" into "i": only map symbols followed by a letter/digit
    for i, c in enumerate(chars):
        if c in _LEET:
            nxt = chars[i + 1] if i + 1 < len(chars) else ""
            prev = chars[i - 1] if i > 0 else ""
            if c in "!|" and not nxt.isalnum():
                continue
            if c == "@" and not prev:
                continue  # @mention
            if c.isdigit() and (prev.isdigit() or nxt.isdigit()):
                continue  # part of a number: 10k, 2024
            chars[i] = _LEET[c]
    return "".join(chars)


def _unspace(m: re.Match[str]) -> str:
    run = m.group()
    joined = "".join(c if c.isalpha() else "\0" for c in run)
    if run[0] in "ia" and run[1] == " " and len(run) >= 7:
        return run[:2] + joined[2:]  # "I k n o w" -> "i know", not "iknow"
    return joined


def _unflood(m: re.Match[str]) -> str:
    run = m.group()
    keep = 1 if run[0] in _VOWELS else 2
    return run[:keep] + "\0" * (len(run) - keep)


def normalise(text: str) -> Normalised:
    """Build every view of ``text``. Never raises on any ``str`` (NUL, lone surrogates)."""
    cased, offs = _base(text)
    lower = _lower_same_length(cased)
    match, moffs = lower, offs
    if any(c in _LEET for c in match):
        match, moffs = _rewrite(match, moffs, _LEET_WORD, _unleet)
    match, moffs = _rewrite(match, moffs, _SPACED, _unspace)
    match, moffs = _rewrite(match, moffs, _FLOOD, _unflood)
    return Normalised(
        original=text,
        cased=cased,
        cased_offsets=tuple(offs),
        lower=lower,
        match=match,
        match_offsets=tuple(moffs),
    )


def fold(text: str) -> str:
    """The ``match`` view alone: use it to normalise cue entries the same way."""
    return normalise(text).match
