"""Value types shared by the event and notification contracts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

# Money travels as a decimal string ("49.90"): floats lose cents.
Amount = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", examples=["49.90"])]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", examples=["fi"])]
Id = Annotated[str, Field(min_length=1, max_length=200)]
Channel = Literal["email", "sms", "push"]


class Contract(BaseModel):
    """Base of every contract model: strict, so the model accepts what the schema accepts."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Address(Contract):
    """A postal address, as far as messages need it."""

    city: str | None = None
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    zip: str | None = None


class LineItem(Contract):
    """One line of an order or checkout."""

    sku: Id
    name: str
    quantity: Annotated[int, Field(ge=1)]
    unit_price: Amount


class PushKeys(Contract):
    """The browser's public key and auth secret of a push subscription."""

    p256dh: Annotated[str, Field(min_length=1)]
    auth: Annotated[str, Field(min_length=1)]


class PushSubscription(Contract):
    """A W3C PushSubscription as the browser serializes it."""

    endpoint: Annotated[str, Field(min_length=1, max_length=2048)]
    keys: PushKeys
    expirationTime: int | None = None


class ChannelSwitches(Contract):
    """Per-channel on/off; a missing channel leaves the current choice unchanged."""

    email: bool | None = None
    sms: bool | None = None
    push: bool | None = None
