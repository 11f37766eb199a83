"""What a dead letter keeps of a provider's words: capped, with addresses masked."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.deadletter import MAX_ERROR_CHARS, Attempt, DeadLetter, dead_letter

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def test_a_providers_error_is_kept_without_the_recipients_address() -> None:
    said = "550 mailbox aino.virtanen@example.fi unknown; SMS to +358401234567 failed"
    record = dead_letter(
        reason=said,
        stage="email",
        topic="aftercart.notify.email",
        original=b'{"to": "aino.virtanen@example.fi"}',
        attempts=[Attempt(at=AT, error=said, kind="PermanentError", code="550")],
    )
    for kept in (record.reason, record.attempts[0].error):
        assert "aino.virtanen@example.fi" not in kept and "+358401234567" not in kept
        assert "a***@example.fi" in kept and "+35840****567" in kept
    # The original message stays whole: a redrive sends it again
    assert record.original() == b'{"to": "aino.virtanen@example.fi"}'


def test_a_long_error_is_capped_and_read_back_the_same() -> None:
    record = dead_letter(
        reason="x" * 50_000,
        stage="sms",
        topic="t",
        original=b"",
        attempts=[Attempt(at=AT, error="y" * 50_000, kind="RetriableError")],
    )
    assert len(record.reason) == MAX_ERROR_CHARS and record.reason.endswith("\u2026")
    assert len(record.attempts[0].error) == MAX_ERROR_CHARS
    assert DeadLetter.model_validate_json(record.model_dump_json()) == record
