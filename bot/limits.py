"""Per-user rate limit, Telegram flood limits, and a short-key store for heatmap buttons."""

from __future__ import annotations

import collections
import math
import secrets
import threading
import time
from collections.abc import Callable, Coroutine, Hashable
from typing import Any

from telegram._utils.types import JSONDict
from telegram.ext import AIORateLimiter


class RateLimiter:
    """Allow each key at most `limit` events per `window_s` seconds (sliding window).

    Args:
        limit: Events allowed per window.
        window_s: Window length in seconds.
        clock: Monotonic clock (injectable for tests).
    """

    def __init__(
        self, limit: int, window_s: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError(
                "`limit` must be >= 1 and `window_s` > 0. "
                f"Received: limit={limit}, window_s={window_s}"
            )
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._events: dict[Hashable, collections.deque[float]] = {}
        self._lock = threading.Lock()

    def acquire(self, key: Hashable) -> float:
        """Record one event for `key` if allowed.

        Returns:
            0.0 when the event is allowed (and recorded); otherwise the seconds to
            wait before the next event would be allowed (nothing is recorded).
        """
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, collections.deque())
            while events and events[0] <= now - self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return max(events[0] + self.window_s - now, 0.001)
            events.append(now)
            if len(self._events) > 10_000:
                self._forget_idle(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, events in self._events.items() if events[-1] <= now - self.window_s]
        for key in idle:
            del self._events[key]


def wait_seconds(delay: float) -> int:
    """Round a wait up to whole seconds for users."""
    return max(1, math.ceil(delay))


class HeatmapKeys:
    """Map short random keys (fit in 64-byte callback data) to Telegram file ids.

    Only file ids are kept (they are references on Telegram's side, not images);
    the oldest entries are dropped beyond `capacity`.
    """

    def __init__(self, capacity: int = 20_000) -> None:
        self.capacity = capacity
        self._items: collections.OrderedDict[str, str] = collections.OrderedDict()

    def add(self, file_id: str) -> str:
        """Remember `file_id` and return its new key."""
        key = secrets.token_urlsafe(8)
        self._items[key] = file_id
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return key

    def get(self, key: str) -> str | None:
        """Return the file id of `key`, or None when unknown or expired."""
        return self._items.get(key)


class FloodLimiter(AIORateLimiter):
    """PTB's `AIORateLimiter` (Telegram's 30 messages/s and per-group limits), except that
    chat actions skip its queue: they are cosmetic, so they must never delay an answer
    (a flood error on one is dropped by the caller)."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send chat actions directly; rate-limit everything else."""
        if endpoint == "sendChatAction":
            return await callback(*args, **kwargs)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
