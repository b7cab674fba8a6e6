"""The Hyperscan prefilter may add candidate tables but must never lose one that ``re`` finds."""

from __future__ import annotations

import builtins
import json
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers import labels
from classifiers.default import DefaultClassifier
from classifiers.normalise import normalise
from classifiers.prefilter import Prefilter, encode, to_bytes_pattern
from monitor.types import TextInput

hyperscan = pytest.importorskip("hyperscan", reason="hyperscan has no wheel for this platform")

ROOT = Path(__file__).resolve().parents[2]
CORPORA = [
    *sorted((ROOT / "classifiers" / "data").glob("*.jsonl")),
    ROOT / "monitor" / "demo" / "comments.jsonl",
    *sorted((ROOT / "tests" / "data" / "classifiers").glob("*.jsonl")),
]


def _texts() -> list[str]:
    out: list[str] = []
    for path in CORPORA:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.extend(str(row[k]) for k in ("text", "raw", "plain") if k in row)
    return out


def _hs_matches(pattern: str, text: str) -> bool:
    rewritten = to_bytes_pattern(pattern)
    assert rewritten is not None, pattern
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[rewritten.encode("latin-1")],
        ids=[0],
        elements=1,
        flags=[hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_ALLOWEMPTY],
    )
    found: list[int] = []
    db.scan(encode(text), match_event_handler=lambda *a: found.append(a[0]))
    return bool(found)


# (pattern, texts re matches): each must match after rewriting, over the mapped bytes
SUPERSET = [
    (r"caf\w\b", ["café", "cafe!", "café au lait"]),
    (r"a.b", ["aéb", "a😀b", "axb"]),
    (r"[ąęł]+ka", ["łka", "ąęka"]),
    (r"[^a-z]ok", ["éok", "😀ok", "!ok"]),
    (r"[^é]x", ["ax", "ëx"]),  # ë shares é's mapped byte: the negated class must still take it
    (r"\s+now", ["\u00a0now", " now", "\x1cnow"]),
    (r"[\s]now", ["\x1fnow", "\u2003now"]),
    (r"\d{2}", ["٣٤", "42"]),
    (r"[\w']+ing", ["çing", "don'ting"]),
    (r"[à-ÿ]t", ["èt", "ÿt"]),
    (r"end$", ["the end"]),
    (r"^start", ["start here"]),
    (r"(?<![a-z0-9])(?:kill|hurt)(?![a-z0-9])", ["i will kill", "hurt"]),
    (r"💀+|😂", ["💀💀", "so 😂"]),
    (r"dw i eisiau marw", ["dw i eisiau marw"]),
    (r"chcę umrzeć", ["chcę umrzeć teraz"]),
    (r"[^\w\s]", ["😀", "!"]),
]


@pytest.mark.parametrize(("pattern", "texts"), SUPERSET, ids=[p for p, _ in SUPERSET])
def test_rewritten_pattern_matches_whatever_re_matches(pattern: str, texts: list[str]) -> None:
    for text in texts:
        assert re.search(pattern, text), (pattern, text)  # the case itself is right
        assert _hs_matches(pattern, text), (pattern, text)


@pytest.mark.parametrize(
    "pattern", [r"(?i)kill", r"(a)\1", r"\x41", r"\u00e9", r"(?P<n>a)", r"[^\W]", r"[\--z]", r"[!-\]]"]
)
def test_constructs_it_does_not_know_leave_the_table_to_re(pattern: str) -> None:
    assert to_bytes_pattern(pattern) is None


def test_encode_is_one_byte_per_code_point() -> None:
    text = "ok é 😀 \ud800 ł"
    assert len(encode(text)) == len(text)
    assert encode("plain ascii") == b"plain ascii"


def test_encode_table_stays_bounded_on_hostile_text() -> None:
    from classifiers import prefilter

    text = "".join(chr(c) for c in range(0x100, 0x100 + 3 * prefilter._High.LIMIT))
    assert encode(text) == bytes(0x80 | (ord(c) & 0x7F) for c in text)
    assert len(prefilter._HIGH) <= prefilter._High.LIMIT


TABLES = labels.all_tables()
_SHARED: list[Prefilter] = []


def _shared_prefilter() -> Prefilter:
    """One prefilter over every table, compiled once (cached in the session's cache dir)."""
    if not _SHARED:
        _SHARED.append(Prefilter([t.gate.pattern for t in TABLES]))
    return _SHARED[0]


@pytest.fixture
def prefilter() -> Prefilter:
    return _shared_prefilter()


def _assert_superset(pf: Prefilter, text: str) -> None:
    view = normalise(text[:5000]).match
    found = pf.candidates(view)
    for ident, table in enumerate(TABLES):
        if table.gate.search(view):
            assert ident in pf.covered
            assert ident in found, (table.name, view[:120])


def test_every_table_is_covered(prefilter: Prefilter) -> None:
    assert prefilter.covered == frozenset(range(len(TABLES)))


def test_no_table_re_matches_is_ruled_out_on_the_shipped_corpora(prefilter: Prefilter) -> None:
    texts = _texts()
    assert len(texts) > 4000
    for text in texts:
        _assert_superset(prefilter, text)


_ALPHABET = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyz0123456789 '.,!?@#£-\n")
    + list("éèëàâçñøłąęśżźćńóŵŷ")
    + ["😀", "💀", "🔪", "😂", "\u00a0", "\u200b", "\u202e", "٣", "ا", "ਕ", "ж", "𝐤", "ｋ"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from([c.pattern.pattern for t in TABLES for c in t.cues]), max_size=3),
    st.lists(st.text(_ALPHABET, max_size=12), min_size=1, max_size=4),
)
def test_mixed_text_around_real_cues(fragments: list[str], noise: list[str]) -> None:
    pf = _shared_prefilter()
    # a cue's own regex is not a sample text, but its literal runs are a fair stand-in
    words = [re.sub(r"\(\?<?[!=][^)]*\)|[\\()?:|*+\[\]{}^$]", " ", f) for f in fragments]
    text = " ".join(n + w for n, w in zip(noise, [*words, *[""] * len(noise)], strict=False))
    _assert_superset(pf, text)


def test_classification_is_the_same_with_and_without_it() -> None:
    items = [TextInput(t) for t in _texts()[:3000]]
    clf = DefaultClassifier(encoder=False)
    assert clf.searcher.prefilter
    with_pf = clf.classify(items)
    clf.searcher.use_prefilter(False)
    assert clf.classify(items) == with_pf


def test_the_compiled_database_is_cached_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    patterns = [t.gate.pattern for t in TABLES]
    first = Prefilter(patterns, cache=tmp_path)
    cached = list(tmp_path.glob("prefilter-*.hsdb"))
    assert len(cached) == 1

    def no_compile(self: Prefilter) -> Any:
        raise AssertionError("compiled again despite the cache")

    monkeypatch.setattr(Prefilter, "_compile", no_compile)
    second = Prefilter(patterns, cache=tmp_path)
    text = normalise("i want to end my life, you idiot").match
    assert second.candidates(text) == first.candidates(text) != set()


def test_a_corrupt_cache_is_compiled_again(tmp_path: Path) -> None:
    patterns = [r"(?<![a-z0-9])(?:kill)", r"(?<![a-z0-9])(?:book)"]
    Prefilter(patterns, cache=tmp_path)
    (cached,) = tmp_path.glob("prefilter-*.hsdb")
    cached.write_bytes(b"not a database")
    pf = Prefilter(patterns, cache=tmp_path)
    assert pf.candidates("i will kill") == {0}
    assert cached.read_bytes() != b"not a database"


def test_an_unwritable_cache_still_works(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    pf = Prefilter([r"(?<![a-z0-9])(?:kill)"], cache=blocker / "sub")
    assert pf.candidates("kill") == {0}


def test_without_hyperscan_the_re_gates_give_the_same_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["i want to end it all tonight", "you're a disgrace, i'll find where you live", "thanks!"]
    clf = DefaultClassifier(encoder=False)
    want = clf.classify([TextInput(t) for t in texts])
    real_import = builtins.__import__

    def no_hyperscan(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "hyperscan":
            raise ImportError("no wheel")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hyperscan)
    try:
        bare = DefaultClassifier(encoder=False)
        assert bare.searcher.prefilter is None
        assert bare.classify([TextInput(t) for t in texts]) == want
    finally:
        monkeypatch.undo()


def test_threads_each_get_their_own_scratch() -> None:
    clf = DefaultClassifier(encoder=False)
    items = [TextInput(t) for t in _texts()[:400]]
    want = clf.classify(items)
    results: list[Any] = [None] * 4

    def work(k: int) -> None:
        results[k] = clf.classify(items)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == want for r in results)
