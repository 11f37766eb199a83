"""The `aftercart` command: run the pipeline, its parts, the local broker and the demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import time
from collections.abc import Sequence
from types import FrameType

import uvloop

from aftercart.settings import Settings
from schemas.topics import CHANNELS

WORKERS = ("streams", *CHANNELS)


def parser() -> argparse.ArgumentParser:
    """The command line; every option also has an AFTERCART_* environment variable."""
    p = argparse.ArgumentParser(
        prog="aftercart",
        description="Kafka-native pipeline that keeps a shop's customers informed after they buy. "
        "Settings come from AFTERCART_* environment variables (see README).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "up", help="run broker, sandbox, gateway and every pipeline process until Ctrl-C"
    )
    sub.add_parser("demo", help="publish a sample shop's orders end to end and print what arrived")
    kafka = sub.add_parser("kafka", help="the local Kafka broker alone")
    kafka.add_argument("action", choices=("start", "stop", "status"))
    sub.add_parser("topics", help="create every declared topic that is missing (idempotent)")
    sub.add_parser("sandbox", help="run the provider sandbox (SendGrid, Twilio, web push)")
    sub.add_parser("gateway", help="run the webhook gateway (Shopify, WooCommerce, CloudEvents)")
    worker = sub.add_parser("worker", help="run one pipeline process in the foreground")
    worker.add_argument("name", choices=WORKERS)
    explain = sub.add_parser(
        "explain", help="why a customer did or did not hear about an order, in plain words"
    )
    explain.add_argument(
        "subject",
        metavar="ORDER_OR_CUSTOMER",
        help="an order id, an order number (#1001) or a customer id, in full or its last part",
    )
    sub.add_parser("vapid-keys", help="print a new VAPID key pair for web push")
    render = sub.add_parser("render", help="preview one message rendered from sample data")
    render.add_argument(
        "event_type",
        metavar="TEMPLATE",
        help="an event type (e.g. order.placed), checkout.reminder or review.request",
    )
    render.add_argument("--channel", required=True, help="email, sms or push")
    render.add_argument("--lang", default="en", help="customer language, e.g. fi or fi-FI")
    render.add_argument("--html", action="store_true", help="print the email's HTML part")
    bench = sub.add_parser("bench", help="measure throughput and latency; write a results file")
    bench.add_argument("--events", type=int, default=20_000, help="events in the throughput pass")
    bench.add_argument("--output", default="bench/results/latest.json", help="results file")
    bench.add_argument(
        "--only",
        choices=("all", "pipeline", "ingest"),
        default="all",
        help="run only the pipeline passes or only the gateway ingest pass (default: all)",
    )
    return p


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwind through the same clean-up as Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `aftercart` command."""
    args = parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    for chatty in ("kafka", "aiokafka"):  # client internals: connection chatter, odd warnings
        logging.getLogger(chatty).setLevel(logging.ERROR)
    if args.command in ("worker", "sandbox", "gateway"):
        # libuv's loop: the long-running services spend most of their time in socket I/O.
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    if args.command == "worker":
        return _worker(args.name, settings)
    if args.command == "sandbox":
        from sandbox.server import run_sandbox

        run_sandbox(
            settings.sandbox_host,
            settings.sandbox_port,
            faults=settings.sandbox_faults,
            smtp_port=settings.sandbox_smtp_port,
        )
        return 0
    if args.command == "gateway":
        from ingest.server import run_gateway

        run_gateway(settings)
        return 0
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return _run(args, settings)
    except KeyboardInterrupt:
        print("\ninterrupted; everything started here has been stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:  # BrokerError, StackError: a message meant for people
        print(f"aftercart: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "demo":
        from aftercart.demo import run_demo

        return run_demo(settings)
    if args.command == "up":
        return _up(settings)
    if args.command == "kafka":
        return _kafka(args.action, settings)
    if args.command == "topics":
        from broker.admin import create_topics
        from schemas.topics import Topics

        created = create_topics(
            settings.kafka_bootstrap, Topics(settings.topic_prefix, settings.topic_partitions).all()
        )
        print(f"created: {', '.join(created) or 'nothing, every topic exists'}")
        return 0
    if args.command == "explain":
        from aftercart.explain import read_decisions, read_receipts, timeline
        from schemas.topics import Topics

        topics = Topics(settings.topic_prefix, settings.topic_partitions)
        decisions = read_decisions(settings.kafka_bootstrap, topics.decisions)
        receipts = read_receipts(settings.kafka_bootstrap, topics.receipts)
        for line in timeline(decisions, args.subject, receipts):
            print(line)
        return 0
    if args.command == "vapid-keys":
        from channels.webpush import new_vapid_keys

        private, public = new_vapid_keys()
        print(f"AFTERCART_VAPID_PRIVATE_KEY={private}")
        print(f"# application server key (public, for pushManager.subscribe): {public}")
        return 0
    if args.command == "render":
        from channels.preview import PreviewError, preview

        try:
            print(preview(args.event_type, args.channel, args.lang, html=args.html))
        except PreviewError as exc:
            print(f"aftercart render: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "bench":
        from bench.run import run_bench

        return run_bench(settings, events=args.events, output=args.output, only=args.only)
    raise AssertionError(args.command)


def _worker(name: str, settings: Settings) -> int:
    from aftercart.apps import run_worker

    if name == "streams":
        from streams.app import create_app

        run_worker(create_app(settings), settings)
    else:
        from channels.worker import create_channel_app

        run_worker(create_channel_app(settings, name), settings)
    return 0


def _up(settings: Settings) -> int:
    from aftercart.stack import Stack

    settings = settings.model_copy(update={"push_allow_sandbox": True})
    with Stack(settings, settings.data_dir / "up") as stack:
        stack.start()
        for service, url in stack.urls():
            print(f"{service:16} {url}", flush=True)
        print("running; Ctrl-C stops everything", flush=True)
        while True:
            stack.check()
            time.sleep(1)


def _kafka(action: str, settings: Settings) -> int:
    from broker import launcher

    data_dir = settings.data_dir / "kafka"
    if action == "start":
        print(
            launcher.start_detached(
                data_dir,
                settings.kafka_port,
                settings.kafka_controller_port,
                cache_dir=settings.cache_dir,
                heap=settings.kafka_heap,
            )
        )
    elif action == "stop":
        print(launcher.stop_detached(data_dir))
    else:
        print(launcher.status(data_dir, settings.kafka_port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
