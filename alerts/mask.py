"""Masking for email excerpts: names, contact details and health details become placeholders.

Findings in the database keep labels, scores and reasons but no spans, so the spans are
found again from the text at render time with the confidentiality detector
(`classifiers.confidentiality`). If that module cannot be imported or fails on a text,
a regex fallback still masks email addresses, phone numbers, postcodes and
NHS-number-like digit runs: an excerpt is never sent unmasked because of a bug.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

log = logging.getLogger(__name__)

_FALLBACK: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"(?<![\w+])(?:\+44\s?\(?0?\)?\s?|0)\d(?:[\s-]?\d){8,9}(?!\d)"), "[phone]"),
    (re.compile(r"(?<!\w)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\w)"), "[number]"),
    (re.compile(r"(?<!\w)[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}(?!\w)", re.IGNORECASE), "[postcode]"),
    (re.compile(r"(?<![\w.\[])@[A-Za-z0-9_][\w.]*\w"), "[@user]"),  # not the "[@user]" placed already
)


def regex_mask(text: str, removed: list[str] | None = None) -> str:
    """The fallback: contact details and handles only. What it replaces is added to `removed`."""

    def keep(placeholder: str) -> Callable[[re.Match[str]], str]:
        def replace(match: re.Match[str]) -> str:
            if removed is not None:
                removed.append(match.group(0))
            return placeholder

        return replace

    for pattern, placeholder in _FALLBACK:
        text = pattern.sub(keep(placeholder), text)
    return text


def mask(text: str, *, author_is_org: bool = False) -> str:
    """`text` with identifying spans replaced by "[name]", "[phone]", "[health detail]", …"""
    return mask_with_parts(text, author_is_org=author_is_org)[0]


def mask_with_parts(text: str, *, author_is_org: bool = False) -> tuple[str, list[str]]:
    """The masked text, and the pieces of the original it hides (what must appear nowhere else)."""
    removed: list[str] = []
    try:
        from classifiers.confidentiality import mask as apply_spans
        from classifiers.confidentiality import sensitive_spans
        from classifiers.normalise import normalise

        spans = sensitive_spans(normalise(text))
        removed.extend(text[s.start : s.end] for s in spans if 0 <= s.start < s.end <= len(text))
        masked = apply_spans(text, spans)
    except Exception:  # the detector is someone else's code: never let it unmask an excerpt
        log.exception("confidentiality masking failed; falling back to masking contact details only")
        masked = text
    return regex_mask(masked, removed), removed
