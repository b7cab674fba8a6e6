"""Write ``classifiers/data/common_words.txt``: words the CC0 written corpora use in lower case.

The excerpt masking (``classifiers/sensitive.py``) reads two capitalised words in a row as a
person's name unless they are ordinary words written with a capital ("Walking By The Sea"):
a word that the written corpora (``classifiers/data/*.jsonl``, CC0, no real person's words)
use in lower case at least three times is an ordinary word. Names that are also ordinary
words ("Will", "Baker") are still masked after a first name, a title or a greeting.

    python scripts/common_words.py
"""

from __future__ import annotations

import collections
import json
import re
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "classifiers" / "data"
MIN_COUNT = 3


def main() -> int:
    counts: collections.Counter[str] = collections.Counter()
    for path in sorted(DATA.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                counts.update(re.findall(r"(?<![\w'])[a-z][a-z'-]*[a-z](?![\w])", json.loads(line)["text"]))
    names = {
        line.split()[0]
        for line in (DATA / "first_names.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#") and not line.rstrip().endswith("*")
    }
    words = sorted(w for w, n in counts.items() if n >= MIN_COUNT and w not in names)
    header = (
        "# Ordinary words: used in lower case at least three times in the CC0 written corpora of\n"
        "# classifiers/data (first names of first_names.txt left out). Written by scripts/common_words.py.\n"
    )
    (DATA / "common_words.txt").write_text(header + "\n".join(words) + "\n", encoding="utf-8")
    print(f"{len(words)} words")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
