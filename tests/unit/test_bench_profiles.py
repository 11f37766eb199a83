"""`make bench --profile`'s summary: the functions using the most samples, self and inclusive."""

from __future__ import annotations

from bench.profiles import summary

STACKS = """process 1;thread 7;main (cli.py:1);send (kafka.py:9);write (streams.py:3) 60
process 1;thread 7;main (cli.py:1);render (render.py:5) 30
process 1;thread 7;main (cli.py:1) 10
not a stack line
"""


def test_the_summary_ranks_functions_by_their_own_samples_and_by_what_they_call() -> None:
    text = summary("worker-email", STACKS, top=3)
    lines = text.splitlines()
    assert lines[0] == "worker-email: 100 samples at 100/s (1.0 s of one core)"
    own = lines[lines.index("top 3 by self samples") + 1 :][:3]
    assert [line.split()[0] for line in own] == ["60.0%", "30.0%", "10.0%"]
    assert own[0].endswith("write (streams.py:3)")
    within = lines[lines.index("top 3 by inclusive samples") + 1 :][:3]
    assert within[0].split()[0] == "100.0%" and within[0].endswith("main (cli.py:1)")
    # (equal counts are ranked by name, so the report is the same from run to run)
    assert within[1].endswith("send (kafka.py:9)") and within[2].endswith("write (streams.py:3)")
