"""The shop's messaging rules, built once from settings and handed to the pure decisions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from runtime import preference_links
from runtime.settings import Settings
from runtime.unsubscribe import link, secrets_of
from streams.loyalty import Loyalty
from streams.timing import QuietHours


@dataclass(frozen=True)
class Offer:
    """A second-purchase incentive for first-time buyers who accept marketing."""

    code: str
    percent: int


@dataclass(frozen=True)
class Policy:
    """Timing, caps and personal extras, as the shop configured them."""

    quiet: QuietHours
    cap: int = 1
    cap_period: timedelta = timedelta(hours=24)
    review_after: timedelta = timedelta(days=7)
    reminders: tuple[timedelta, ...] = (timedelta(hours=1), timedelta(hours=24))
    recommendations: int = 3
    offer: Offer | None = None
    loyalty: bool = False  # whether messages speak of loyalty points and tiers
    unsubscribe: Callable[[str], str] | None = None  # customer id -> one-click unsubscribe URL
    # (customer id, now) -> the preference center URL every email carries
    preferences: Callable[[str, datetime], str] | None = None


def policy_from(settings: Settings) -> Policy:
    """The policy the settings describe."""
    offer = None
    if settings.second_purchase_code:
        offer = Offer(settings.second_purchase_code, settings.second_purchase_percent)
    return Policy(
        quiet=QuietHours(settings.quiet_hours_start, settings.quiet_hours_end),
        cap=settings.marketing_cap,
        cap_period=timedelta(hours=settings.marketing_cap_h),
        review_after=timedelta(days=settings.review_after_days),
        reminders=tuple(timedelta(hours=h) for h in sorted(settings.checkout_reminders_h)),
        recommendations=settings.recommendations,
        offer=offer,
        loyalty=settings.loyalty_enabled,
        unsubscribe=_unsubscribe_links(settings),
        preferences=_preference_links(settings),
    )


def loyalty_from(settings: Settings) -> Loyalty:
    """The loyalty programme the settings describe; without one no points are counted."""
    return Loyalty(settings.loyalty_points_per_unit or 0, settings.loyalty_tiers)


def _unsubscribe_links(settings: Settings) -> Callable[[str], str] | None:
    secrets = secrets_of(settings)
    if not secrets:
        return None
    return partial(link, settings.public_url, secrets[0])


def _preference_links(settings: Settings) -> Callable[[str, datetime], str] | None:
    secrets = preference_links.secrets_of(settings)
    if not secrets:
        return None
    days = settings.preferences_link_days
    return partial(preference_links.link, settings.public_url, secrets[0], days)
