"""`aftercart replay --rate N`: records are put back at most N a second."""

from __future__ import annotations

import pytest

from aftercart.cli import main
from operate.pace import Pace


class Clock:
    """A hand-turned clock: sleeping moves it on."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_records_are_spread_over_the_seconds_the_rate_gives() -> None:
    clock = Clock()
    pace = Pace(4, clock, clock.sleep)
    for _ in range(9):
        pace.wait()
    # the first goes at once; eight more at 4 a second take two seconds
    assert clock.now == pytest.approx(102.0)


def test_a_slow_broker_is_not_made_up_for_with_a_burst_beyond_the_schedule() -> None:
    clock = Clock()
    pace = Pace(10, clock, clock.sleep)
    pace.wait()
    clock.now += 1.0  # the broker took a second over one record
    for _ in range(10):
        pace.wait()  # these were due by now: none waits
    assert clock.slept == []
    pace.wait()  # the twelfth is due 1.1 s after the first
    assert clock.now == pytest.approx(101.1)


def test_without_a_rate_nothing_waits() -> None:
    clock = Clock()
    pace = Pace(None, clock, clock.sleep)
    for _ in range(1000):
        pace.wait()
    assert clock.slept == []


@pytest.mark.parametrize("rate", ["0", "-5", "fast", "inf", "nan"])
def test_a_rate_that_is_not_a_number_above_0_is_refused(
    rate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["replay", "events", f"--rate={rate}", "--dry-run"])
    assert exited.value.code == 2
    assert "--rate" in capsys.readouterr().err
