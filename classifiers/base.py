"""The classifier interface and registry.

A classifier turns a batch of `TextInput`s into one `Classification` each: a score in
[0, 1] for every label in `monitor.types.LABELS` and for `offensive`, the labels it
flags, and human-readable reasons for each flagged label.

Built-in classifiers are listed in `BUILTIN`; third parties register an entry point in
the group `monitor.classifiers` whose value is a zero-argument factory or class.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

from monitor.errors import ClassifierError
from monitor.types import Classification, TextInput

ENTRY_POINT_GROUP = "monitor.classifiers"

# name -> "module:factory"
BUILTIN: dict[str, str] = {
    "default": "classifiers.default:DefaultClassifier",
    "transformers": "classifiers.transformers_backend:TransformersClassifier",
}


@runtime_checkable
class Classifier(Protocol):
    """``name`` and ``classify``. A classifier may also have ``notices``: a tuple of one-line
    messages an operator must see (``monitor check-config`` and the daemon's start log print
    them; read with :func:`notices`)."""

    name: str

    def classify(self, inputs: Sequence[TextInput]) -> list[Classification]:
        """Classify a batch. Must never raise on hostile text (1 MB, NUL, lone surrogates)."""
        ...


def available() -> dict[str, str]:
    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def notices(classifier: Classifier) -> tuple[str, ...]:
    """The classifier's one-line notices for the operator (none where it has no ``notices``)."""
    return tuple(str(n) for n in getattr(classifier, "notices", ()))


def load(name: str = "default", *, organisation: str | None = None, **options: Any) -> Classifier:
    """Create the classifier registered as `name`, passing `options` from the config, and the
    organisation's name (``[monitor] organisation``) to a backend that takes one."""
    target = available().get(name)
    if target is None:
        known = ", ".join(sorted(available()))
        raise ClassifierError(f"unknown classifier {name!r} (known: {known})")
    module_name, _, attr = target.partition(":")
    try:
        factory: Callable[..., Classifier] = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ClassifierError(f"classifier {name!r} cannot be loaded: {exc}") from exc
    if organisation is not None and "organisation" in inspect.signature(factory).parameters:
        options = {"organisation": organisation, **options}
    return factory(**options)
