"""Guards in front of the answerer: drop repeated deliveries, and limit how fast questions are taken.

Both keep bounded memory and are safe to share between threads.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class Deduper:
    """Remembers keys (Slack event ids, message timestamps) for `ttl` seconds, at most `max_keys` of them."""

    def __init__(self, ttl: float = 900.0, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.max_keys = max_keys
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str) -> bool:
        """True the first time `key` is offered within the TTL; False for a repeat."""
        now = self._clock()
        with self._lock:
            while self._seen and (len(self._seen) >= self.max_keys or self._oldest() <= now - self.ttl):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def _oldest(self) -> float:
        return next(iter(self._seen.values()))


class TokenBucket:
    """`rate_per_minute` tokens a minute, refilled continuously, holding at most that many."""

    def __init__(self, rate_per_minute: float, now: float) -> None:
        self.capacity = rate_per_minute
        self.rate = rate_per_minute / 60.0
        self.tokens = rate_per_minute
        self.updated = now

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last refill."""
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now


class RateLimiter:
    """A bucket per user and one for everybody; a question needs a token from both."""

    def __init__(
        self,
        per_user_per_minute: float,
        total_per_minute: float,
        max_users: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_user = per_user_per_minute
        self.max_users = max_users
        self._clock = clock
        self._total = TokenBucket(total_per_minute, clock())
        self._users: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def allow(self, user: str) -> bool:
        """Take a token for `user` if both their bucket and the shared one have one."""
        now = self._clock()
        with self._lock:
            bucket = self._users.pop(user, None) or TokenBucket(self.per_user, now)
            self._users[user] = bucket  # most recently seen last; the least recent is forgotten first
            if len(self._users) > self.max_users:
                self._users.popitem(last=False)
            bucket.refill(now)
            self._total.refill(now)
            if bucket.tokens < 1 or self._total.tokens < 1:
                return False
            bucket.tokens -= 1
            self._total.tokens -= 1
            return True
