"""Kill -9 at random moments across poll/alert cycles: nothing lost, duplicates only as resends.

A short version of bench/soak.py (which runs longer and prints the figures).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.service import faults


@pytest.mark.slow
def test_kill_9_loses_no_item_and_no_alert(tmp_path: Path) -> None:
    figures = faults.run(tmp_path, iterations=3, per_iteration=15, seed=11)
    print(figures.line())
    assert figures.kills >= 1
    assert figures.items_lost == 0 and figures.items_stored == figures.items_written
    assert figures.alerts_lost == 0
    assert figures.foreign_message_ids == 0, "a resent alert always has its own Message-ID"
    # Each kill can interrupt at most one message between SMTP acceptance and "mark sent".
    assert figures.duplicates <= figures.kills
