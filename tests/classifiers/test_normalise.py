from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from classifiers.normalise import normalise

CASES = [
    ("k i l l", "kill"),
    ("k.i.l.l", "kill"),
    ("кіll", "kill"),  # Cyrillic к and і
    ("𝐤𝐢𝐥𝐥", "kill"),  # mathematical bold
    ("ｋｉｌｌ", "kill"),  # full width
    ("k\u200bi\u200cl\u200dl", "kill"),  # zero-width space/non-joiner/joiner
    ("ki\u00adll", "kill"),  # soft hyphen
    ("\u202ekill\u202c", "kill"),  # RTL override
    ("k1ll", "kill"),
    ("$hit", "shit"),
    ("fuuuuuck", "fuck"),
    ("don’t", "don't"),
    ("Zażółć", "zazolc"),
]


@pytest.mark.parametrize(("raw", "want"), CASES, ids=[c[1] + str(i) for i, c in enumerate(CASES)])
def test_match_view_undoes_evasion(raw: str, want: str) -> None:
    assert normalise(raw).match == want


def test_numbers_and_mentions_are_not_leeted() -> None:
    view = normalise("@harbourlanecic 10k run at 2024 07700 900412").match
    assert view.startswith("@harbourlanecic 10k")
    assert "07700 900412" in view


def test_real_cyrillic_words_are_left_alone() -> None:
    assert normalise("привет мир").match == "привет мир"


def test_offsets_map_back_to_original() -> None:
    raw = "Hi k\u200bі\u200bll 🙂 ｂｏｂ"
    view = normalise(raw)
    start = view.match.index("kil")
    s, e = view.span_in_original(start, start + 3)
    assert raw[s] == "k" and raw[e - 1] == "l"
    b = view.match.index("bob")
    s, e = view.span_in_original(b, b + 3)
    assert raw[s:e] == "ｂｏｂ"


@given(st.text())
def test_normalise_never_raises_and_offsets_are_valid(raw: str) -> None:
    view = normalise(raw)
    assert len(view.match) == len(view.match_offsets)
    assert len(view.cased) == len(view.cased_offsets) == len(view.lower)
    assert all(0 <= i < len(raw) for i in view.match_offsets)
    assert list(view.match_offsets) == sorted(view.match_offsets)
