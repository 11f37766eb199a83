"""`aftercart up --workers ROLE=N,...`: what it takes, and what it refuses before starting."""

from __future__ import annotations

import pytest

import bench.__main__ as bench_main
from aftercart.cli import parser
from bench.measure import cpu_ms_per_notification


def workers(text: str) -> dict[str, int]:
    counts: dict[str, int] = parser().parse_args(["up", "--workers", text]).workers
    return counts


def test_named_roles_get_their_count_and_the_rest_run_one_each() -> None:
    assert workers("streams=2,email=2") == {"streams": 2, "email": 2}
    assert workers(" push=3 ") == {"push": 3}
    assert parser().parse_args(["up"]).workers == {}


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("emial=2", "unknown role 'emial': the roles are streams, email, sms, push"),
        ("email=0", "email=0: the number of processes is a whole number from 1 to 8"),
        ("email=9", "from 1 to 8"),
        ("email=two", "whole number"),
        ("email", "expected ROLE=N (like email=2), not 'email'"),
        ("email=2,email=3", "email is named twice"),
        ("", "expected ROLE=N"),
    ],
)
def test_a_bad_count_is_refused_naming_what_is_wrong(
    text: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        workers(text)
    assert exit_.value.code == 2
    assert said in capsys.readouterr().err


def test_bench_scale_takes_counts_or_defaults_to_two_of_each_channel_worker() -> None:
    assert bench_main.parser().parse_args(["--scale"]).scale == {"email": 2, "sms": 2, "push": 2}
    assert bench_main.parser().parse_args(["--scale", "streams=2"]).scale == {"streams": 2}
    assert bench_main.parser().parse_args([]).scale is None


def test_bench_refuses_scale_with_only_ingest_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_main.main(["--only", "ingest", "--scale"])
    assert exit_.value.code == 2
    assert (
        "--scale runs a pipeline pass: it cannot go with --only ingest" in capsys.readouterr().err
    )


def test_cpu_per_notification_counts_the_workers_and_gateway_as_the_product() -> None:
    cpu = {"worker-streams": 3.0, "worker-email": 2.0, "worker-email-2": 1.0, "gateway": 0.0}
    cpu |= {"sandbox": 2.0, "kafka": 4.0, "bench": 0.5}
    per = cpu_ms_per_notification(cpu, 10_000)
    assert per["product"] == 0.6  # (3 + 2 + 1) s over 10,000 notifications
    assert (per["sandbox"], per["kafka"], per["bench"]) == (0.2, 0.4, 0.05)
    assert per["worker-email-2"] == 0.1
