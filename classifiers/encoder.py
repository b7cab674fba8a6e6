"""Placeholder: the sentence-encoder second stage (filled in below)."""

from __future__ import annotations

from collections.abc import Sequence


class EncoderHeads:
    def predict(self, texts: Sequence[str]) -> list[dict[str, float]]:
        raise NotImplementedError


def load_encoder() -> EncoderHeads | None:
    return None
