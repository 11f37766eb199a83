"""The shop's own templates in the real pipeline: with AFTERCART_TEMPLATES_DIR set, the email
worker sends the shop's English wording and its Swedish, and a broken template stops a worker
at start, naming its file and line, before it reads a message."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from stacks import order_placed, stack_settings
from test_pipeline import arrivals, customer, publish

from aftercart.stack import Stack
from sandbox.client import SandboxClient
from schemas.notification import notification_id

PLACED_EN = """\
{% block subject %}We have your order {{ event.order_number }}{% endblock %}
{% block text %}Hello {{ customer.first_name }}, {{ shop.name }} has order {{ event.order_number }}.
{% endblock %}
{% block sms %}{{ shop.name }}: order {{ event.order_number }} is in.{% endblock %}
{% block push_title %}Order {{ event.order_number }}{% endblock %}
{% block push_body %}Thank you!{% endblock %}
"""
PLACED_SV = (
    PLACED_EN.replace("We have your order", "Tack för beställning")
    .replace("Hello", "Hej")
    .replace("has order", "har beställning")
)


def overlay(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The stream processor and the email worker, with the shop's templates and brand."""
    data_dir = tmp_path_factory.mktemp("overlay")
    templates = overlay(
        data_dir / "templates",
        {"en/order.placed.txt.j2": PLACED_EN, "sv/order.placed.txt.j2": PLACED_SV},
    )
    settings = stack_settings(
        kafka_bootstrap,
        data_dir,
        templates_dir=templates,
        shop_name="Muumi Puoti",
        shop_url="https://muumi.example",
    )
    with Stack(settings, data_dir, own_broker=False) as running:
        running.start(("streams", "email"), gateway=False)
        yield running


def test_the_email_worker_sends_the_shops_own_templates(stack: Stack) -> None:
    # Given an English and a Swedish customer who take order news by email
    sandbox = SandboxClient(stack.settings.sandbox_url)
    aino = customer("ov-aino", "email", sandbox=sandbox, language="en")
    sven = customer("ov-sven", "email", sandbox=sandbox, language="sv")
    orders = [order_placed("ov-aino", "o-ov-1", "#501"), order_placed("ov-sven", "o-ov-2", "#502")]
    # When each places an order
    publish(stack, *aino, *sven, *orders)
    # Then each gets the shop's wording in their language, from the real worker
    ids = [notification_id(o.id, "email", "order.placed") for o in orders]
    found = arrivals(sandbox, set(ids))
    english, swedish = found[ids[0]], found[ids[1]]
    assert english["subject"] == "We have your order #501"
    assert "Hello Ov-Aino, Muumi Puoti has order #501." in english["text"]
    assert swedish["subject"] == "Tack för beställning #502"
    assert "Hej Ov-Sven, Muumi Puoti har beställning #502." in swedish["text"]


def test_a_broken_template_stops_the_worker_at_start(tmp_path: Path) -> None:
    # Given the shop's folder with a template that reads a name no request has, on line 2
    broken = PLACED_EN.replace("Hello {{ customer.first_name }}", "Hello {{ customer.nick }}")
    templates = overlay(tmp_path / "templates", {"en/order.placed.txt.j2": broken})
    env = {
        **os.environ,
        "AFTERCART_TEMPLATES_DIR": str(templates),
        # Nothing listens here: a worker that got past its check would wait for Kafka.
        "AFTERCART_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "AFTERCART_METRICS_PORT_EMAIL": "0",
    }
    # When the email worker starts
    done = subprocess.run(
        [sys.executable, "-m", "aftercart.cli", "worker", "email"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Then it stops at once, naming the file and line
    assert done.returncode == 1, done.stderr
    where = f"{templates / 'en/order.placed.txt.j2'}:2"
    assert f"aftercart worker email: broken template {where}: undefined:" in done.stderr
    assert "'nick'" in done.stderr
