"""What a provider said happened to a message after it accepted it: the receipts topic."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from schemas.common import Channel, Contract, Id

ReceiptStatus = Literal[
    "accepted",
    "sent",
    "delivered",
    "deferred",
    "bounced",
    "dropped",
    "undelivered",
    "failed",
    "opened",
    "clicked",
    "complained",
    "unsubscribed",
]
Text = Annotated[str, Field(max_length=1000)]


class DeliveryReceipt(Contract):
    """One delivery event of one message, keyed by customer (by notification id when the
    provider's callback did not name the customer)."""

    receipt_id: Id = Field(description="Derived from the provider's event: a redelivery has it too")
    provider: Literal["sendgrid", "twilio"]
    channel: Channel
    status: ReceiptStatus
    provider_status: Annotated[str, Field(min_length=1, max_length=64)] = Field(
        description="The provider's own word: bounce, spamreport, undelivered..."
    )
    at: datetime = Field(description="When it happened (Twilio: when the callback arrived)")
    notification_id: Id
    customer_id: Id | None = None
    provider_message_id: Id | None = Field(
        default=None, description="SendGrid sg_message_id, Twilio MessageSid"
    )
    address: Annotated[str, Field(max_length=2048)] | None = None
    code: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="SendGrid's SMTP status (5.1.1), Twilio's ErrorCode"
    )
    reason: Text | None = None

    @property
    def key(self) -> str:
        """The Kafka key: the customer, else the notification."""
        return self.customer_id or self.notification_id
