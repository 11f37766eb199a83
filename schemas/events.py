"""The order-lifecycle events: a CloudEvents 1.0 envelope around one data model per type."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, ConfigDict, Field, ValidationInfo, model_validator

from schemas.common import (
    Address,
    Amount,
    ChannelSwitches,
    Contract,
    Currency,
    Id,
    Language,
    LineItem,
    PushSubscription,
)


class OrderRef(Contract):
    """Fields every order-scoped event carries.

    A shop's webhook does not always say whose order it is (Shopify's refunds and fulfillment
    events name only the order). The stream processor fills customer_id and order_number from
    the order.placed it has seen before it decides anything.
    """

    order_id: Id
    customer_id: Id | None = None
    order_number: str | None = Field(
        default=None, description="The order's name as the customer knows it: #1001"
    )


class CustomerContact(Contract):
    """Contact details an order or checkout carries, for customers not yet seen."""

    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: Language | None = None


class OrderPlaced(OrderRef):
    """An order was placed; it always says whose order it is."""

    customer_id: Id
    order_number: str = Field(description="The order's name as the customer knows it: #1001")
    customer: CustomerContact | None = None
    currency: Currency
    total: Amount
    items: Annotated[list[LineItem], Field(min_length=1)]
    shipping_address: Address | None = None


class OrderPaid(OrderRef):
    """Payment for an order was captured."""

    currency: Currency
    amount: Amount


class OrderCancelled(OrderRef):
    """An order was cancelled."""

    reason: str | None = None


class OrderRefunded(OrderRef):
    """Money was refunded."""

    currency: Currency
    amount: Amount
    reason: str | None = None


class Shipment(OrderRef):
    """Fields every fulfillment event carries."""

    fulfillment_id: Id
    carrier: str | None = None
    tracking_number: str | None = None
    tracking_url: str | None = None


class FulfillmentShipped(Shipment):
    """A parcel left the warehouse (with or without tracking)."""

    estimated_delivery: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class FulfillmentOutForDelivery(Shipment):
    """The parcel is on the delivery vehicle."""


class FulfillmentDelivered(Shipment):
    """The parcel was delivered."""

    delivered_at: datetime | None = None


class FulfillmentDelayed(Shipment):
    """The carrier reported a delay."""

    reason: str | None = None
    new_estimated_delivery: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class CheckoutAbandoned(Contract):
    """A checkout was left without an order."""

    customer_id: Id
    checkout_id: Id
    customer: CustomerContact | None = None
    currency: Currency
    total: Amount
    items: Annotated[list[LineItem], Field(min_length=1)]
    recovery_url: str


class CheckoutUpdated(Contract):
    """A checkout was started or changed; the stream processor tracks it for abandonment."""

    customer_id: Id
    checkout_id: Id
    customer: CustomerContact | None = None
    currency: Currency
    total: Amount
    items: list[LineItem] = Field(default_factory=list)
    recovery_url: str | None = None
    completed: bool = False


class CustomerUpserted(Contract):
    """What the shop knows of a customer, created or changed."""

    customer_id: Id
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    language: Language | None = None
    timezone: str | None = None
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    accepts_marketing: bool | None = Field(default=None, description="Consent to marketing email")
    accepts_sms_marketing: bool | None = Field(default=None, description="Consent to marketing SMS")


HourMinute = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$", examples=["21:00"])]


class QuietHoursChoice(Contract):
    """The customer's own quiet hours for SMS and push, local time; start == end: none."""

    start: HourMinute
    end: HourMinute


class PreferencesUpdated(Contract):
    """The customer's own choice of channels per category, and of quiet hours.

    `transactional` and `marketing` set a channel for every message of the kind (and undo
    what was said of that channel for their news before); the news are finer: `orders` and
    `shipping` are transactional, `reviews` and `offers` marketing."""

    customer_id: Id
    transactional: ChannelSwitches | None = None
    marketing: ChannelSwitches | None = None
    orders: ChannelSwitches | None = None
    shipping: ChannelSwitches | None = None
    reviews: ChannelSwitches | None = None
    offers: ChannelSwitches | None = None
    quiet_hours: QuietHoursChoice | None = None
    marketing_paused_until: AwareDatetime | None = Field(
        default=None,
        description="No offers or reminders before this time; a past time ends a pause",
    )
    via: Annotated[str, Field(max_length=40, pattern=r"^[a-z][a-z ]*$")] | None = Field(
        default=None,
        description="Where the customer said it, as explain shows it (preference center)",
        examples=["preference center"],
    )


class WebpushSubscribed(Contract):
    """A browser of the customer subscribed to web push."""

    customer_id: Id
    subscription: PushSubscription


class ContactFailed(Contract):
    """A provider said a contact point cannot be used (channel workers and delivery receipts
    publish it); the stream processor acts on it before the next message."""

    customer_id: Id
    channel: Literal["email", "sms", "push"]
    action: Literal["opted_out", "invalid", "gone", "bounced", "complained"] = Field(
        description="opted_out: the customer texted STOP (SMS switched off); invalid: not a "
        "number that takes texts; gone: the push subscription expired (removed); bounced or "
        "complained: the email address is not used again"
    )
    address: Annotated[str, Field(min_length=1, max_length=2048)] = Field(
        description="The email address, phone number or push endpoint concerned"
    )
    reason: str = Field(description="The provider's words, e.g. Twilio 21610")


def partition_key(data: Any) -> str:
    """The Kafka key an event's data travels under: its customer, else (an order event that
    does not name its customer) its order; "" when it names neither."""
    get = data.get if isinstance(data, dict) else lambda name: getattr(data, name, None)
    key = get("customer_id") or get("order_id") or ""
    return key if isinstance(key, str) else ""


def _optional_on_the_wire(schema: dict[str, Any]) -> None:
    """time and partitionkey are filled in when left out: optional, but never null."""
    for name in ("time", "partitionkey"):
        schema["properties"][name].pop("default", None)


class CloudEvent(Contract):
    """CloudEvents 1.0 envelope, structured mode.

    Only specversion, id, source and type must be sent (CloudEvents 1.0). partitionkey is the
    Kafka key: data.customer_id, so that a customer's events stay in order; data.order_id for
    an order event that does not name its customer (the stream processor finds the customer
    from the order and puts the event back under the customer's key). Left out, it is filled
    in from the data. `time` left out is the time the event was received, and `timeassigned`
    says so.
    """

    model_config = ConfigDict(
        strict=True, extra="allow", frozen=True, json_schema_extra=_optional_on_the_wire
    )

    specversion: Literal["1.0"]
    id: Id = Field(
        description="Unique within its source: the same source and id is the same event, "
        "published once however often it is sent (with other content: refused, 409)"
    )
    source: Annotated[str, Field(min_length=1)] = Field(
        description="Who sent it, as a URI reference: the shop, e.g. https://shop.example"
    )
    type: str
    time: datetime = Field(  # type: ignore[assignment]  # filled in after validation
        default=None,
        description="When it happened. Optional: left out, the time aftercart received the "
        "event (the gateway's clock, or the Kafka record's timestamp), with timeassigned true",
    )
    timeassigned: bool | None = Field(
        default=None,
        description="true: the sender gave no time, and `time` is when aftercart received it",
    )
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    subject: str | None = None
    partitionkey: Id = Field(  # type: ignore[assignment]  # filled in after validation
        default=None,
        description="The Kafka key: data.customer_id, else data.order_id. Optional: left out, "
        "it is filled in from the data; given, it must equal that",
    )

    @model_validator(mode="after")
    def _fill_the_optional(self, info: ValidationInfo) -> CloudEvent:
        """Fill partitionkey from the data and time from the time of receipt, when left out."""
        # Filled after validation: a dict handed back by a "before" validator is validated as
        # Python objects, and strict mode then refuses the JSON's date-time strings.
        if self.partitionkey is None:
            object.__setattr__(self, "partitionkey", partition_key(getattr(self, "data", None)))
        if self.time is None:
            context = info.context if isinstance(info.context, dict) else {}
            object.__setattr__(self, "time", context.get("received") or datetime.now(UTC))
            object.__setattr__(self, "timeassigned", True)
        return self


def _event(type_name: str, data_model: type[Contract]) -> type[CloudEvent]:
    """One envelope model per event type, with `type` fixed and `data` typed."""
    title = "".join(part.capitalize() for part in type_name.replace("_", ".").split(".")) + "Event"
    annotations = {"type": Literal[type_name], "data": data_model}
    namespace = {"__annotations__": annotations, "__doc__": f"The {type_name} event."}
    return type(title, (CloudEvent,), namespace)


EVENT_DATA: dict[str, type[Contract]] = {
    "order.placed": OrderPlaced,
    "order.paid": OrderPaid,
    "order.cancelled": OrderCancelled,
    "order.refunded": OrderRefunded,
    "fulfillment.shipped": FulfillmentShipped,
    "fulfillment.out_for_delivery": FulfillmentOutForDelivery,
    "fulfillment.delivered": FulfillmentDelivered,
    "fulfillment.delayed": FulfillmentDelayed,
    "checkout.updated": CheckoutUpdated,
    "checkout.abandoned": CheckoutAbandoned,
    "customer.upserted": CustomerUpserted,
    "preferences.updated": PreferencesUpdated,
    "webpush.subscribed": WebpushSubscribed,
    "contact.failed": ContactFailed,
}
EVENT_MODELS: dict[str, type[CloudEvent]] = {t: _event(t, m) for t, m in EVENT_DATA.items()}
SCHEMA_VERSION = 1
