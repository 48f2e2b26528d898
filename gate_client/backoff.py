"""Exponential backoff with jitter, for retrying a server that is down or misbehaving."""

from __future__ import annotations

import random
from collections.abc import Callable


class Backoff:
    """Delays that double from `initial` up to `maximum`, each drawn at random from the upper half of the step."""

    def __init__(
        self, initial: float = 0.25, maximum: float = 4.0, rng: Callable[[], float] = random.random
    ) -> None:
        if initial <= 0 or maximum < initial:
            raise ValueError(f"need 0 < initial <= maximum, got {initial} and {maximum}")
        self.initial = initial
        self.maximum = maximum
        self.failures = 0
        self._rng = rng

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        step = min(self.maximum, self.initial * 2 ** min(self.failures, 32))
        self.failures += 1
        return step / 2 + self._rng() * step / 2

    def reset(self) -> None:
        """Forget the failures after a success."""
        self.failures = 0
