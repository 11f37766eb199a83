"""The shop as its messages show it: one group of settings (Settings.brand), for templates."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# The colour of buttons and the bar over an email when the shop names none.
DEFAULT_COLOUR = "#18181b"


@dataclass(frozen=True)
class Brand:
    """Name, web address, logo, colour, sender name and support contact of the shop."""

    name: str = ""
    url: str = ""
    logo_url: str = ""
    colour: str = DEFAULT_COLOUR
    sender_name: str = ""
    support_email: str = ""
    support_url: str = ""

    def for_templates(self) -> dict[str, str]:
        """What templates read as `shop` (shop.name, shop.logo_url, ...)."""
        return asdict(self)
