"""The sandbox's cheaper helpers give the answers of the library code they replace."""

from __future__ import annotations

import math
import re
import string
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sandbox.casting import _parse_form, percent_decode
from sandbox.outbox import new_message_id
from sandbox.twilio import GSM7, GSM7_EXTENSION, _notification_id, _rfc2822_now, segments

FORM_PIECES = st.sampled_from(
    [*"a b = & + % %2 %2B %zz %C3 %A9 %E2%82%AC %ED%A0%80 é ; To %54o".split(), " ", "\udcff"]
)


@settings(max_examples=3000)
@given(pieces=st.lists(FORM_PIECES | st.text(max_size=3), max_size=12))
def test_form_fields_are_read_as_parse_qsl_reads_them(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected: dict[str, list[str]] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        expected.setdefault(name, []).append(value)
    assert _parse_form(text) == expected
    assert list(_parse_form(text)) == list(expected)  # first-seen order too


@settings(max_examples=3000)
@given(pieces=st.lists(FORM_PIECES | st.text(max_size=3), max_size=12))
def test_percent_decoding_is_urllibs(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert percent_decode(text) == unquote(text)


URL_WORDS = "http: https:// // / ? # & = + % %5F %3D %26 [ ] [::1] é ; @ :80 host n-1 x=1"
QUERY_WORDS = "notification_id notification%5Fid notification_id= \t \n \x01"
URL_PIECES = st.sampled_from([*URL_WORDS.split(" "), *QUERY_WORDS.split(" ")])
QUERY_FIELDS = "notification_id=n-1 notification%5Fid=a+b notification_id= x=1 notification_id=%C3"
CALLBACK_URLS = st.builds(
    "{}{}/cb?{}{}".format,
    st.sampled_from(["http://", "https://", "", "HTTP://", " http://", "\thttp://"]),
    st.sampled_from(["127.0.0.1:8080", "[::1]:80", "host", "hôst", "h\nost"]),
    st.lists(st.sampled_from([*QUERY_FIELDS.split(" "), "", "notification_id"]), max_size=4).map(
        "&".join
    ),
    st.sampled_from(["", "#frag", "#notification_id=x", "?x#y"]),
)


@settings(max_examples=3000)
@given(url=CALLBACK_URLS | st.lists(URL_PIECES | st.text(max_size=2), max_size=10).map("".join))
def test_notification_id_is_read_as_parse_qs_reads_it(url: str) -> None:
    try:
        values = parse_qs(urlsplit(url).query).get("notification_id")
    except ValueError as exc:  # urlsplit refuses some bracketed hosts: so does the direct path
        with pytest.raises(ValueError, match=re.escape(str(exc))):
            _notification_id(url)
        return
    assert _notification_id(url) == (values[0] if values else None)


def test_message_ids_have_the_shape_of_token_urlsafe() -> None:
    ids = {new_message_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(
        len(i) == 22 and set(i) <= set(string.ascii_letters + string.digits + "-_") for i in ids
    )


def _segments_as_written_first(text: str) -> int:
    if all(c in GSM7 or c in GSM7_EXTENSION for c in text):
        length = sum(2 if c in GSM7_EXTENSION else 1 for c in text)
        single, multi = 160, 153
    else:
        length = len(text.encode("utf-16-le")) // 2
        single, multi = 70, 67
    return 1 if length <= single else math.ceil(length / multi)


@settings(max_examples=1000)
@given(
    text=st.text(alphabet=st.sampled_from([*sorted(GSM7 | GSM7_EXTENSION), "é", "😀", "ж"]))
    | st.text(max_size=400)
)
def test_segments_count_as_before(text: str) -> None:
    assert segments(text) == _segments_as_written_first(text)


def test_dates_are_formatted_as_twilio_writes_them() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    formatted = _rfc2822_now()
    after = datetime.now(UTC).replace(microsecond=0)
    assert formatted in {format_datetime(before), format_datetime(after)}
    assert formatted.endswith(" +0000")
    assert after - before <= timedelta(seconds=1)
