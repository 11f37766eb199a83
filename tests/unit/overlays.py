"""A shop's own template folder, as the overlay tests write it: one English email's wording
overlaid, and Swedish added."""

from __future__ import annotations

from pathlib import Path

PLACED_EN = """\
{% block subject %}We have your order {{ event.order_number }}, {{ customer.first_name }}
{%- endblock %}
{% block text %}
Hello {{ customer.first_name }}, order {{ event.order_number }} is in our hands.
{{ shop.name }}
{% endblock %}
{% block sms %}{{ shop.name }}: order {{ event.order_number }} is in our hands.{% endblock %}
{% block push_title %}Order {{ event.order_number }} is in our hands{% endblock %}
{% block push_body %}Thank you, {{ customer.first_name }}!{% endblock %}
"""

PLACED_SV = """\
{% block subject %}Tack för din beställning {{ event.order_number }}!{% endblock %}
{% block text %}
Hej {{ customer.first_name }}! Vi har tagit emot beställning {{ event.order_number }}.
Summa: {{ money(event.total, event.currency) }}
{{ shop.name }}
{% endblock %}
{% block sms %}{{ shop.name }}: tack för beställning {{ event.order_number }}!{% endblock %}
{% block push_title %}Beställning {{ event.order_number }} mottagen{% endblock %}
{% block push_body %}Tack, {{ customer.first_name }}!{% endblock %}
"""

PLACED_SV_HTML = """\
{% extends "en/_layout.html.j2" %}
{% block content %}
<p>Hej {{ customer.first_name }}! Vi har tagit emot din beställning.</p>
{% endblock %}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write files (relative name: text) under folder; the folder."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


def shop_overlay(folder: Path) -> Path:
    """English order confirmation reworded; Swedish order confirmation added."""
    return write(
        folder,
        {
            "en/order.placed.txt.j2": PLACED_EN,
            "sv/order.placed.txt.j2": PLACED_SV,
            "sv/order.placed.html.j2": PLACED_SV_HTML,
        },
    )
