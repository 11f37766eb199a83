"""Log lines: JSON or the human format, the ids of the message they are about, and never a whole
email address or phone number."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from collections.abc import Iterator

import orjson
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from runtime.logs import (
    JsonFormatter,
    MaskingFormatter,
    MessageIds,
    ids_in,
    ids_of,
    log_about,
    mask,
    use_log_format,
)
from schemas.codec import new_event


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("to alice@example.com", "to a***@example.com"),
        ("<bob.smith+shop@mail.example.co.uk>", "<b***@mail.example.co.uk>"),
        ("mailto:ops@shop.example", "mailto:o***@shop.example"),
        ("Twilio: +358401234567 is not a mobile", "Twilio: +35840****567 is not a mobile"),
        ("to=+14155550123.", "to=+1415****123."),
        ("short +12345678", "short +1****678"),
        ("a@b.io and c@d.io", "a***@b.io and c***@d.io"),
    ],
)
def test_addresses_and_numbers_are_masked(text: str, masked: str) -> None:
    assert mask(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "next at 2026-11-23T10:00:00.000+00:00",
        "offset +0200, retry in +30 s",
        "order #1001 of 52.30 EUR",
        "kafka://127.0.0.1:9092, notification 6f1d4c2e-6a52-4f0e-9a57-0c1bd3f1a7c5",
        "no @ here, nor an address@ nor @domain.example",
    ],
)
def test_what_is_neither_stays_as_it_was(text: str) -> None:
    assert mask(text) == text


@given(
    local=st.from_regex(r"[a-z0-9][a-z0-9._+-]{1,20}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9]{1,10}\.(com|fi|example)", fullmatch=True),
    digits=st.from_regex(r"[1-9][0-9]{7,14}", fullmatch=True),
)
def test_no_whole_address_or_number_survives(local: str, domain: str, digits: str) -> None:
    assume(digits not in domain)  # a domain's own digits are kept, as they should be
    line = mask(f"sent to {local}@{domain} and +{digits} (twice: {local}@{domain})")
    assert f"{local}@" not in line
    assert digits not in line
    assert f"{local[0]}***@{domain}" in line


def record(message: str, *args: object, **extra: str) -> logging.LogRecord:
    made = logging.LogRecord("channels.delivery", logging.WARNING, __file__, 1, message, args, None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_has_time_level_logger_message_and_the_ids_given() -> None:
    made = record("dead-lettered %s: %s", "n-1", "bad address", notification_id="n-1")
    line = json.loads(JsonFormatter().format(made))
    assert line.keys() == {"time", "level", "logger", "message", "notification_id"}
    assert line["time"].endswith("+00:00")
    assert (line["level"], line["logger"]) == ("warning", "channels.delivery")
    assert line["message"] == "dead-lettered n-1: bad address"


def test_a_json_line_masks_every_value_and_keeps_the_exception() -> None:
    try:
        raise ValueError("refused: +358401234567\nfor ann@example.com")
    except ValueError:
        made = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "to %s", ("ann@example.com",), None
        )
        made.exc_info = sys.exc_info()
    text = JsonFormatter().format(made)
    line = json.loads(text)
    assert line["message"] == "to a***@example.com"
    assert "+35840****567\nfor a***@example.com" in line["exception"]
    assert "358401234567" not in text and "ann@" not in text


def test_the_human_format_stays_and_is_masked() -> None:
    inner = logging.Formatter("%(levelname)s %(name)s %(message)s")
    line = MaskingFormatter(inner).format(record("no answer from %s", "+358401234567"))
    assert line == "WARNING channels.delivery no answer from +35840****567"


class FakeRequest:
    notification_id = "n-7"
    event_id = "e-7"
    customer_id = "c-7"
    channel = "email"


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(message)s"))
    use_log_format([handler], "json")
    logger = logging.getLogger("test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield logger, out
    logger.removeHandler(handler)


def lines(out: io.StringIO) -> list[dict[str, str]]:
    return [orjson.loads(line) for line in out.getvalue().splitlines()]


async def test_lines_logged_while_a_task_handles_a_message_carry_its_ids(
    captured: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = captured

    async def handle() -> None:
        log_about(FakeRequest())
        logger.info("sent")

    await asyncio.create_task(handle())
    logger.info("between messages")  # another task: none of the ids
    [sent, between] = lines(out)
    assert (sent["notification_id"], sent["event_id"], sent["customer_id"]) == ("n-7", "e-7", "c-7")
    assert "notification_id" not in between


def test_ids_given_with_extra_win(captured: tuple[logging.Logger, io.StringIO]) -> None:
    logger, out = captured
    logger.warning("dead-lettered", extra={"event_id": "e-own"})
    assert lines(out)[0]["event_id"] == "e-own"


def test_the_format_is_set_once_per_handler() -> None:
    handler = logging.StreamHandler(io.StringIO())
    own = logging.Formatter("%(message)s")
    handler.setFormatter(own)
    use_log_format([handler], "text")
    use_log_format([handler], "text")
    assert isinstance(handler.formatter, MaskingFormatter) and handler.formatter.inner is own
    assert sum(isinstance(f, MessageIds) for f in handler.filters) == 1
    use_log_format([handler], "json")
    assert isinstance(handler.formatter, JsonFormatter)


def test_ids_are_read_from_what_a_record_holds() -> None:
    event = new_event(
        "order.paid",
        {"customer_id": "c-1", "order_id": "o-1", "currency": "EUR", "amount": "1.00"},
        source="test",
    )
    assert ids_in(event.model_dump_json().encode()) == {"event_id": event.id, "customer_id": "c-1"}
    request = {"notification_id": "n-1", "event_id": "e-1", "customer_id": "c-1"}
    assert ids_in(orjson.dumps(request)) == request
    assert ids_in(b"{not json") == ids_in(b"[1]") == ids_in(None) == {}
    assert ids_of(FakeRequest()) == {
        "notification_id": "n-7",
        "event_id": "e-7",
        "customer_id": "c-7",
    }
