"""Quiet hours in the customer's local time, and the marketing cap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from streams.timing import QuietHours, cap_until, quiet_until, zone

NIGHT = QuietHours(time(21), time(8))
HELSINKI = zone("Europe/Helsinki")


def test_a_text_at_23_local_waits_until_8_local() -> None:
    now = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 23:00 in Helsinki (UTC+2)
    assert quiet_until(now, HELSINKI, NIGHT) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_after_midnight_it_waits_until_8_the_same_morning() -> None:
    now = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)  # 03:30 in Helsinki
    assert quiet_until(now, HELSINKI, NIGHT) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


def test_daytime_is_not_quiet_and_the_end_itself_is_not_quiet() -> None:
    assert quiet_until(datetime(2026, 11, 23, 10, 0, tzinfo=UTC), HELSINKI, NIGHT) is None
    assert quiet_until(datetime(2026, 11, 24, 6, 0, tzinfo=UTC), HELSINKI, NIGHT) is None


def test_the_end_follows_the_wall_clock_across_a_daylight_saving_change() -> None:
    # Helsinki moves from UTC+3 to UTC+2 in the night of 25 October 2026.
    now = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)  # 23:00 summer time
    assert quiet_until(now, HELSINKI, NIGHT) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)


def test_an_unknown_zone_is_read_as_utc_and_equal_ends_mean_no_quiet_hours() -> None:
    assert zone("Mars/Olympus").key == "UTC"
    assert zone(None).key == "UTC"
    off = QuietHours(time(0), time(0))
    assert quiet_until(datetime(2026, 11, 23, 23, 0, tzinfo=UTC), zone(None), off) is None


ZONES = st.sampled_from(["Europe/Helsinki", "Asia/Tokyo", "America/New_York", "UTC"])
TIMES = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
HOURS = st.builds(time, st.integers(0, 23), st.sampled_from([0, 30]))


@given(now=TIMES, name=ZONES, start=HOURS, end=HOURS)
def test_a_deferred_time_is_never_itself_quiet_and_never_more_than_a_day_away(
    now: datetime, name: str, start: time, end: time
) -> None:
    quiet, tz = QuietHours(start, end), zone(name)
    until = quiet_until(now, tz, quiet)
    if until is None:
        assert not quiet.contains(now.astimezone(tz).time())
        return
    assert quiet.contains(now.astimezone(tz).time())
    assert now < until <= now + timedelta(hours=25)
    assert quiet_until(until, tz, quiet) is None


def test_the_cap_lets_one_through_per_period_and_books_the_next_slot() -> None:
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    day = timedelta(hours=24)
    assert cap_until([], now, cap=1, period=day) is None
    assert cap_until([now - timedelta(hours=3)], now, cap=1, period=day) == now + timedelta(
        hours=21
    )
    assert cap_until([now - timedelta(hours=25)], now, cap=1, period=day) is None
    booked = now + timedelta(hours=21)  # a message already waiting for the next slot
    assert cap_until([now - timedelta(hours=3), booked], now, cap=1, period=day) == booked + day
    # A slot far ahead does not block an earlier free one.
    far = now + timedelta(days=3)
    assert cap_until([now - timedelta(hours=3), far], now, cap=1, period=day) == now + timedelta(
        hours=21
    )
    assert cap_until([now - timedelta(hours=3)], now, cap=2, period=day) is None
