"""``built_once``: a process-wide value built on first use, once, even when several threads ask at once.

``functools.lru_cache`` lets two threads that miss at the same time both build the value: right after the
web app starts, its warm-up thread and the first request then load the same reference tables twice, each
slowing the other. Here the second caller waits for the first one's result.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class built_once(Generic[T]):  # noqa: N801 - used as a decorator, like functools.cache
    """Decorate a function without arguments; ``cache_clear()`` forgets the value (tests)."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.RLock()  # re-entrant: a build that asks for its own value fails loudly, never hangs
        self._value: list[T] = []
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__
        self.__wrapped__ = build

    def __call__(self) -> T:
        if not self._value:
            with self._lock:
                if not self._value:
                    self._value.append(self._build())
        return self._value[0]

    def cache_clear(self) -> None:
        with self._lock:
            self._value.clear()
