"""SendGrid v3 mail/send, answering with SendGrid's status codes and error bodies."""

from __future__ import annotations

import math
import time
from typing import Any, NamedTuple

from aiohttp import web

from sandbox.faults import Fault, reason
from sandbox.outbox import new_message_id
from sandbox.state import STATE, Refusal, SandboxState, admit

MAX_RECIPIENTS = 1000  # to + cc + bcc over all personalizations, per request
KEY_PREFIX = "SG."  # every SendGrid API key starts so


class SentMail(NamedTuple):
    """What SendGrid's Email Activity reads of an accepted mail beyond its outbox entry."""

    from_email: str | None
    unique_args: dict[str, Any]  # custom_args: the mail's, overridden by the personalization's


def errors_response(status: int, errors: list[tuple[str, str | None]]) -> web.Response:
    """SendGrid's error body: {"errors": [{"message", "field", "help"}]} for (message, field)."""
    body = {
        "errors": [{"message": message, "field": field, "help": None} for message, field in errors]
    }
    return web.json_response(body, status=status)


def unauthorized(request: web.Request) -> Refusal | None:
    """SendGrid's 401 for the request's API key, or None when the key is taken.

    Any key of the right shape is taken, so a missing one (the SDK sends "Bearer None") still
    fails as it would in production.
    """
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and key.startswith(KEY_PREFIX):
        return None
    if not scheme:
        message = "authorization required"
    else:
        message = "The provided authorization grant is invalid, expired, or revoked"
    return Refusal(errors_response(401, [(message, None)]), f"401 {message}")


async def mail_send(request: web.Request) -> web.StreamResponse:
    """POST /v3/mail/send."""
    result = await admit(request, "email", fault_response, unauthorized)
    if isinstance(result, web.Response):
        return result
    state = request.app[STATE]
    problems = [(v.message, v.field) for v in result.violations] or _provider_rules(result.body)
    if problems:
        _record_rejected(state, result.body, problems)
        return errors_response(400, problems)
    message_id = new_message_id()
    for fields in read_mail(result.body):
        state.outbox.record("email", "accepted", provider_id=message_id, **fields)
    return web.Response(status=202, headers={"X-Message-Id": message_id})


def fault_response(fault: Fault) -> web.Response:
    """An injected fault as SendGrid answers it; a 429 gives X-RateLimit-Reset, no Retry-After."""
    if fault.status != 429:
        return errors_response(fault.status, [(reason(fault.status), None)])
    response = errors_response(429, [("too many requests", None)])
    reset = math.ceil(time.time()) + fault.retry_after_s  # epoch seconds
    response.headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)})
    return response


def read_mail(mail: dict[str, Any]) -> list[dict[str, Any]]:
    """One outbox record per personalization: each is a separate email in SendGrid's model."""
    text = _content(mail.get("content"))
    top_args: dict[str, Any] = mail.get("custom_args") or {}
    sender = mail.get("from")
    from_email = sender.get("email") if isinstance(sender, dict) else None
    records = []
    for personalization in mail.get("personalizations") or []:
        to = personalization.get("to") or [{}]
        args = {**top_args, **(personalization.get("custom_args") or {})}
        records.append(
            {
                "recipient": to[0].get("email"),
                "subject": personalization.get("subject") or mail.get("subject"),
                "text": text,
                "notification_id": args.get("notification_id"),
                "kept": SentMail(from_email, args),
            }
        )
    return records


def _content(content: Any) -> str | None:
    if not isinstance(content, list):
        return None
    by_type = {c.get("type"): c.get("value") for c in content if isinstance(c, dict)}
    return by_type.get("text/plain") or by_type.get("text/html")


def _provider_rules(mail: Any) -> list[tuple[str, str | None]]:
    # Rules the live API enforces that the document does not state.
    if not isinstance(mail, dict):
        return [("Bad Request", None)]  # an empty body passes the document (no required flag)
    personalizations = mail.get("personalizations") or []
    recipients = sum(
        len(p.get(kind) or []) for p in personalizations for kind in ("to", "cc", "bcc")
    )
    if recipients > MAX_RECIPIENTS:
        return [
            (
                f"The total number of recipients must be no more than {MAX_RECIPIENTS}.",
                "personalizations",
            )
        ]
    for index, p in enumerate(personalizations):
        args = p.get("custom_args") or {}
        if any(not isinstance(v, str) for v in args.values()):
            # The API answers a bare "Bad Request" here (sendgrid-nodejs#288).
            return [("Bad Request", f"personalizations.{index}.custom_args")]
    return []


def _record_rejected(
    state: SandboxState, mail: Any, problems: list[tuple[str, str | None]]
) -> None:
    error = "400 " + "; ".join(
        f"{field}: {message}" if field else message for message, field in problems
    )
    fields: dict[str, Any] = {}
    if isinstance(mail, dict):
        try:
            fields = (read_mail(mail) or [{}])[0]
            fields.pop("kept", None)  # nothing looks a rejected mail up
        except (AttributeError, TypeError, IndexError):
            fields = {}  # too malformed to say whom it was for
    state.outbox.record("email", "rejected", error=error, **fields)
