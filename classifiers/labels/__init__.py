"""One module per label, in the order the default classifier runs them.

Each module owns its cue families (``<label>.cues`` beside it, see :mod:`classifiers.cues`),
its thresholds, and a ``decide(ev: Evidence) -> Verdict`` of a few dozen lines over the frozen
:class:`classifiers.evidence.Evidence`. ``URGENT`` labels wake the manager; their verdicts
pass the encoder's second opinion (:func:`classifiers.evidence.confirmed`) where it is
installed. A module's ``TABLES`` are searched for it before it runs.
"""

from __future__ import annotations

from types import ModuleType

from classifiers.cues import Table, load_cues
from classifiers.labels import (
    confidentiality_risk,
    engagement,
    harassment,
    hate,
    negative_publicity,
    offensive,
    risk_to_life,
    spam,
    threat,
)

__all__ = ["COMMON", "MODULES", "all_tables"]

COMMON: dict[str, Table] = load_cues("common")

# dependency order: spam silences contact-detail confidentiality and engagement; harassment
# reads threat and hate; complaints read risk and harassment; engagement reads them all
MODULES: tuple[ModuleType, ...] = (
    spam,
    risk_to_life,
    confidentiality_risk,
    threat,
    hate,
    offensive,
    harassment,
    negative_publicity,
    engagement,
)


def all_tables() -> list[Table]:
    """Every cue table: the shared ones, then each module's."""
    return [*COMMON.values(), *(t for m in MODULES for t in m.TABLES.values())]
