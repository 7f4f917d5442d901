"""Repeated deliveries are dropped; token buckets limit each user and everybody (a settable clock, no sleeps)."""

from __future__ import annotations

from assistant.frontends.slack_guard import Deduper, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_deduper_remembers_for_ttl() -> None:
    clock = Clock()
    seen = Deduper(ttl=60, clock=clock)
    assert seen.first_time("Ev1") is True
    assert seen.first_time("Ev1") is False
    assert seen.first_time("Ev2") is True
    clock.now += 61
    assert seen.first_time("Ev1") is True


def test_deduper_memory_is_bounded() -> None:
    seen = Deduper(ttl=3600, max_keys=3, clock=Clock())
    for key in ("a", "b", "c", "d"):
        assert seen.first_time(key)
    assert len(seen._seen) == 3
    assert seen.first_time("a") is True  # the oldest was forgotten
    assert seen.first_time("d") is False


def test_per_user_bucket_allows_a_burst_then_refills() -> None:
    clock = Clock()
    limits = RateLimiter(per_user_per_minute=3, total_per_minute=100, clock=clock)
    assert [limits.allow("alice") for _ in range(4)] == [True, True, True, False]
    assert limits.allow("bob") is True  # another user has their own bucket
    clock.now += 20  # one token back (3 a minute)
    assert [limits.allow("alice") for _ in range(2)] == [True, False]


def test_global_bucket_limits_everybody() -> None:
    clock = Clock()
    limits = RateLimiter(per_user_per_minute=10, total_per_minute=4, clock=clock)
    assert [limits.allow(f"user{i}") for i in range(5)] == [True, True, True, True, False]
    clock.now += 15
    assert limits.allow("user9") is True


def test_refused_question_costs_no_token() -> None:
    clock = Clock()
    limits = RateLimiter(per_user_per_minute=1, total_per_minute=1, clock=clock)
    assert limits.allow("alice") is True
    assert limits.allow("bob") is False  # global empty: bob's own token is kept
    clock.now += 60
    assert limits.allow("bob") is True


def test_tracked_users_are_bounded() -> None:
    limits = RateLimiter(per_user_per_minute=1, total_per_minute=1000, max_users=2, clock=Clock())
    for user in ("a", "b", "c"):
        assert limits.allow(user)
    assert list(limits._users) == ["b", "c"]
