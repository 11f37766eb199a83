"""The one settings object: built once in an entrypoint, then passed in."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from runtime.brand import DEFAULT_COLOUR, Brand
from runtime.durations import seconds_of

# Push services a stored subscription may point at. Anything else is refused, so a
# subscription can never make a worker call an arbitrary or internal address.
DEFAULT_PUSH_ORIGINS = (
    "https://fcm.googleapis.com",
    "https://updates.push.services.mozilla.com",
    "https://web.push.apple.com",
    "https://*.notify.windows.com",
)

SANDBOX_SENDGRID_KEY = "SG.sandbox-key.not-a-real-credential"
SANDBOX_TWILIO_SID = "AC" + "0" * 32
SANDBOX_TWILIO_TOKEN = "sandbox-token-not-a-real-credential"
# Shortest secret or token the gateway takes: a short one can be guessed, and an empty one
# (an unset variable in a template) would sign nothing at all.
MIN_SECRET_CHARS = 16
SECRETS = (
    "shopify_secrets",
    "woocommerce_secrets",
    "events_tokens",
    "api_tokens",
    "console_tokens",
    "push_signup_secret",
    "unsubscribe_secret",
    "unsubscribe_secrets",
    "preferences_secret",
    "preferences_secrets",
)


class Settings(BaseSettings):
    """Every knob of aftercart; environment variables use the AFTERCART_ prefix."""

    model_config = SettingsConfigDict(env_prefix="AFTERCART_", frozen=True, extra="ignore")

    # Kafka
    kafka_bootstrap: str = "127.0.0.1:9092"
    topic_partitions: int = Field(default=4, ge=1)
    topic_prefix: str = "aftercart"
    # Batching on the workers' Kafka connections: a producer gathers records this long into one
    # request, and a fetch waits this long for this many bytes. Each worker hop adds up to
    # linger + wait of latency when traffic is light; under load the batches fill first. With
    # both at 1 byte / 10 ms the bench's two cores went to per-request work (README, Benchmark).
    kafka_linger_ms: int = Field(default=50, ge=0, le=1000)
    kafka_fetch_wait_ms: int = Field(default=25, ge=0, le=1000)
    kafka_fetch_min_bytes: int = Field(default=64 * 1024, ge=1)
    # A worker whose fetches from one broker have failed without a pause this long exits, to be
    # started again with a fresh Kafka client (runtime/stall.py); 0: never.
    kafka_stall_s: float = Field(default=90.0, ge=0)

    # Local broker (aftercart kafka start / up / demo)
    kafka_controller_port: int = 9093
    data_dir: Path = Path(".aftercart")
    cache_dir: Path = Path.home() / ".cache" / "aftercart"
    kafka_heap: str = "512m"

    # Provider sandbox
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8787
    # Fault profiles by channel, e.g. {"email": {"errors": {"503": 0.05}}}; see sandbox/faults.py.
    sandbox_faults: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # The sandbox's SMTP server (loopback), the failover provider's stand-in.
    sandbox_smtp_port: int = 8825

    # Email (SendGrid). No key: the same client talks to the sandbox.
    sendgrid_api_key: SecretStr | None = None
    sendgrid_host: str | None = None
    email_from: str = "orders@shop.example"

    # Email failover (SMTP). No smtp_host: SendGrid only. No credentials: the default port is
    # the sandbox's SMTP server; with them, submission (587) over STARTTLS.
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    # None: STARTTLS exactly when credentials are set, so a password never goes in clear.
    smtp_starttls: bool | None = None
    # Consecutive retriable SendGrid failures before SMTP takes over, and how long before
    # SendGrid is tried again with one message.
    smtp_failover_after: int = Field(default=5, ge=1)
    smtp_failover_cooldown_s: float = Field(default=60.0, gt=0)

    # SMS (Twilio). No credentials: the same client talks to the sandbox.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str = "+15005550006"
    twilio_base_url: str | None = None

    # Web push (VAPID)
    vapid_private_key: SecretStr | None = None
    vapid_subject: str = "mailto:ops@shop.example"
    push_ttl_s: int = Field(default=86_400, ge=1)
    push_allowed_origins: tuple[str, ...] = DEFAULT_PUSH_ORIGINS
    push_allow_sandbox: bool = False
    # Web push sign-up on the gateway (ingest/routes/push.py): signs the customer ids a shop's
    # pages send with a browser's subscription (runtime/push_signup.py); without it, or without
    # vapid_private_key, the sign-up routes answer 404. The origins of the shop's pages that
    # may post subscriptions (CORS); none: shop_url's.
    push_signup_secret: SecretStr | None = None
    push_signup_origins: tuple[str, ...] = ()

    # The shop, as messages name and show it: one group, Settings.brand. Empty until the shop
    # says (a worker with real provider credentials refuses to start without name and URL).
    shop_name: str = ""
    shop_url: str = ""
    shop_logo_url: str = ""
    shop_colour: str = Field(default=DEFAULT_COLOUR, pattern=r"^#[0-9A-Fa-f]{6}$")
    shop_support_email: str = ""
    shop_support_url: str = ""
    # The sender's display name; empty: the shop's name.
    email_from_name: str = ""
    # The shop's own templates, over the packaged ones file by file (channels/overlay.py).
    templates_dir: Path | None = None

    # Where providers call back (delivery receipts; the gateway).
    public_url: str = "http://127.0.0.1:8080"
    # Signs the one-click unsubscribe links of marketing emails (runtime/unsubscribe.py); the
    # stream processor and the gateway need the same. Without it marketing emails carry no
    # List-Unsubscribe link, and their footer says to reply instead.
    unsubscribe_secret: SecretStr | None = None
    # SendGrid's Event Webhook verification key (Mail Settings, Signed Event Webhook): base64
    # DER or PEM. Public, so not a secret; without it POST /receipts/sendgrid answers 401.
    sendgrid_webhook_public_key: str | None = None
    # A signed SendGrid event post older (or further ahead) than this is refused as a replay.
    receipts_max_age_s: float = Field(default=600.0, gt=0)
    # Trust: which secrets sign what, and when the sandbox's public credentials are believed.
    # POST /receipts/twilio without real Twilio credentials (account SID and auth token) answers
    # 401, unless this is set: then it checks callbacks with the sandbox's public token. Only
    # for a stack that runs the sandbox (aftercart up and demo set it); anyone can sign with
    # that token, so anyone could switch a customer's texts off with a forged STOP.
    receipts_accept_sandbox: bool = False
    # Further unsubscribe secrets, newest first, after unsubscribe_secret when that is set:
    # links are signed with the newest and accepted under any listed (rotation).
    unsubscribe_secrets: list[SecretStr] = Field(default_factory=list)
    # Signs the preference center links every email carries (runtime/preference_links.py),
    # rotated as the unsubscribe secrets are; without any, emails carry none and the gateway's
    # /preferences pages answer 404. A link holds this many days.
    preferences_secret: SecretStr | None = None
    preferences_secrets: list[SecretStr] = Field(default_factory=list)
    preferences_link_days: int = Field(default=90, ge=1, le=3650)

    # Gateway: shop webhooks and CloudEvents in (aftercart gateway)
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # {"shop.myshopify.com": ["secret", "previous-secret"]}: every listed secret is accepted.
    shopify_secrets: dict[str, list[SecretStr]] = Field(default_factory=dict)
    # {"https://shop.example": ["secret"]}, keyed by the store URL WooCommerce sends.
    woocommerce_secrets: dict[str, list[SecretStr]] = Field(default_factory=dict)
    # Bearer tokens accepted on POST /events.
    events_tokens: list[SecretStr] = Field(default_factory=list)
    # Bearer tokens for a shop's support tool on GET /notifications/{id} and
    # GET /orders/{order}/notifications; without any, those routes are closed and the gateway
    # does not follow the pipeline's topics.
    api_tokens: list[SecretStr] = Field(default_factory=list)
    # Tokens that open the ops console (/console on the gateway): typed in once for a session
    # cookie, or sent as Authorization: Bearer by scripts; without any, the console is off.
    console_tokens: list[SecretStr] = Field(default_factory=list)
    gateway_max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # A client must send a request's whole body within this time, or it is answered 408 and
    # cut off: a client dripping bytes must not hold a connection for ever.
    gateway_read_timeout_s: float = Field(default=10.0, gt=0)
    # Connections (and requests) uvicorn serves at once; past it, a new one gets 503.
    gateway_max_connections: int = Field(default=1000, ge=1)
    # An idle kept-alive connection is closed after this long.
    gateway_keep_alive_s: int = Field(default=5, ge=1)
    # Events in one CloudEvents batch (POST /events); a larger batch is 413.
    events_max_batch: int = Field(default=1000, ge=1)
    # A redelivered webhook within this window is recognised and published once; a Shopify
    # webhook triggered longer ago than this is refused as a replay.
    dedupe_window_h: float = Field(default=72.0, gt=0)
    # Events the gateway remembers for that; past it the oldest are forgotten first.
    dedupe_max_entries: int = Field(default=1_000_000, ge=1)
    # Longest a webhook waits for Kafka's acknowledgement before 503 (Shopify gives up at 5 s).
    ingest_timeout_s: float = Field(default=4.0, gt=0)

    # Loyalty: points per whole unit of the order's currency, and the points each tier starts at.
    # Unset: no loyalty programme, and no message speaks of points or tiers.
    loyalty_points_per_unit: float | None = Field(default=None, gt=0)
    loyalty_tiers: dict[str, int] = Field(
        default_factory=lambda: {"bronze": 0, "silver": 500, "gold": 2000}
    )

    # Timing (stream processor). Quiet hours hold SMS and push, in the customer's local time.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(8, 0)
    # Marketing messages per customer per channel within marketing_cap_h (the rest wait).
    marketing_cap: int = Field(default=1, ge=1)
    marketing_cap_h: float = Field(default=24.0, gt=0)
    review_after_days: float = Field(default=7.0, gt=0)
    # Checkout reminders, hours after the checkout was last touched.
    checkout_reminders_h: tuple[float, ...] = (1.0, 24.0)
    # How often the stream processor looks for scheduled messages that are due.
    schedule_tick_s: float = Field(default=1.0, gt=0)
    # Added to the wall clock by the stream processor: rehearse what schedules will do
    # (tests use it instead of sleeping). 0 in production.
    clock_shift_s: float = 0.0
    # A thank-you offer for first-time buyers who accept marketing; none when no code is set.
    second_purchase_code: str | None = None
    second_purchase_percent: int = Field(default=10, ge=1, le=100)
    # At most this many "bought together" suggestions in a message.
    recommendations: int = Field(default=3, ge=0)

    # Channel workers
    channel_concurrency: int = Field(default=64, ge=1)
    # Messages a channel worker holds at once (taken, not yet delivered or dead-lettered);
    # when it holds this many it stops taking more (channels/pipeline.py).
    channel_in_flight: int = Field(default=500, ge=1)
    # Attempts in all before a dead letter; none: the retry window alone decides.
    channel_max_attempts: int | None = Field(default=None, ge=1)
    # Retries that outlast an outage (channels/retry.py, channels/breaker.py): a retriable
    # failure is tried again for up to `retry_for` after the first attempt (a duration: 24h,
    # 10m, 90s, 2d or seconds), the steps growing from `retry_first_s` by doubling up to
    # `retry_max_delay_s` (each drawn between half and all of its step). After `breaker_after`
    # retriable failures in a row a channel worker stops calling the provider: messages wait
    # on the retry topic, and one at a time probes it every `breaker_probe_every_s`.
    retry_for: float = Field(default=86_400.0, gt=0)
    retry_first_s: float = Field(default=1.0, gt=0)
    retry_max_delay_s: float = Field(default=600.0, gt=0)
    breaker_after: int = Field(default=5, ge=1)
    breaker_probe_every_s: float = Field(default=30.0, gt=0)
    # An attempt whose answer never came (the worker died, the request timed out) is looked
    # up at the provider this long after it went out, before it is sent again: past the 10 s
    # send timeout, so the provider has finished with it (channels/ledger.py).
    channel_lookup_after_s: float = Field(default=15.0, ge=0)
    # Ledger entries older than this are pruned (longer than any topic keeps a message that
    # could be replayed: 7 days), every so often (channels/ledger.py).
    ledger_keep_h: float = Field(default=192.0, gt=0)
    ledger_prune_every_s: float = Field(default=3600.0, gt=0)
    # Provider rate limits per worker (0: none). Twilio: a US long code sends 1 segment a
    # second (toll-free 3, short code 100+); a two-segment text costs two.
    sms_segments_per_s: float = Field(default=1.0, ge=0)
    email_per_s: float = Field(default=0.0, ge=0)
    push_per_s: float = Field(default=0.0, ge=0)

    # Each worker's /metrics, /healthz and /readyz (runtime/endpoint.py), loopback; 0: none.
    # The gateway serves /metrics on its own port.
    metrics_host: str = "127.0.0.1"
    metrics_port_streams: int = Field(default=8081, ge=0, le=65535)
    metrics_port_email: int = Field(default=8082, ge=0, le=65535)
    metrics_port_sms: int = Field(default=8083, ge=0, le=65535)
    metrics_port_push: int = Field(default=8084, ge=0, le=65535)

    log_level: str = "info"
    # text: the human format; json: one JSON object a line (runtime/logs.py).
    log_format: Literal["text", "json"] = "text"

    @field_validator("retry_for", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        return seconds_of(value) if isinstance(value, str) else value

    @field_validator("shop_url", "shop_logo_url", "shop_support_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value

    @field_validator(*SECRETS)
    @classmethod
    def _long_enough(cls, value: Any, info: ValidationInfo) -> Any:
        name = f"AFTERCART_{(info.field_name or '').upper()}"
        for secret in _secrets_in(value):
            if len(secret.get_secret_value().strip()) < MIN_SECRET_CHARS:
                raise ValueError(
                    f"{name}: every secret and token must be at least {MIN_SECRET_CHARS} "
                    "characters (one is shorter, or empty); generate one with "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        return value

    @property
    def brand(self) -> Brand:
        """The shop as its messages show it: name, links, logo, colour, sender, support."""
        return Brand(
            name=self.shop_name,
            url=self.shop_url,
            logo_url=self.shop_logo_url,
            colour=self.shop_colour,
            sender_name=self.email_from_name or self.shop_name,
            support_email=self.shop_support_email,
            support_url=self.shop_support_url,
        )

    @property
    def loyalty_enabled(self) -> bool:
        """Whether the shop runs a loyalty programme (points per unit set)."""
        return self.loyalty_points_per_unit is not None

    def unbranded(self) -> str | None:
        """Why a worker must not start: real provider credentials, and no shop to name in
        what they send. None when it may."""
        real = [
            f"AFTERCART_{name.upper()}"
            for name in (
                "sendgrid_api_key",
                "smtp_username",
                "twilio_account_sid",
                "twilio_auth_token",
                "vapid_private_key",
            )
            if getattr(self, name)
        ]
        missing = [
            f"AFTERCART_{name.upper()}"
            for name in ("shop_name", "shop_url")
            if not getattr(self, name).strip()
        ]
        if not real or not missing:
            return None
        return (
            f"set {' and '.join(missing)}: with real provider credentials ({', '.join(real)}) "
            "customers would get messages that do not say which shop they come from"
        )

    def metrics_port(self, worker: str) -> int:
        """Where worker `worker` (streams, email, sms, push) serves its endpoint; 0: nowhere."""
        port: int = getattr(self, f"metrics_port_{worker}")
        return port

    @property
    def kafka_port(self) -> int:
        """Port of kafka_bootstrap: where the local broker listens."""
        return int(self.kafka_bootstrap.rpartition(":")[2])

    @property
    def sandbox_url(self) -> str:
        """Base URL of the local provider sandbox."""
        return f"http://{self.sandbox_host}:{self.sandbox_port}"

    @property
    def sendgrid_base_url(self) -> str:
        """SendGrid API host: the real one with a key, the sandbox without."""
        if self.sendgrid_host:
            return self.sendgrid_host
        return "https://api.sendgrid.com" if self.sendgrid_api_key else self.sandbox_url

    @property
    def sendgrid_key(self) -> SecretStr:
        """The SendGrid key, or a placeholder the sandbox accepts."""
        return self.sendgrid_api_key or SecretStr(SANDBOX_SENDGRID_KEY)

    @property
    def smtp_server_port(self) -> int:
        """SMTP port: the one set, else submission with credentials, else the sandbox's."""
        if self.smtp_port:
            return self.smtp_port
        return 587 if self.smtp_username else self.sandbox_smtp_port

    @property
    def smtp_use_starttls(self) -> bool:
        """Whether the SMTP connection must upgrade to TLS before anything is sent."""
        if self.smtp_starttls is not None:
            return self.smtp_starttls
        return self.smtp_username is not None

    @property
    def twilio_api_base_url(self) -> str:
        """Twilio API host: the real one with credentials, the sandbox without."""
        if self.twilio_base_url:
            return self.twilio_base_url
        return "https://api.twilio.com" if self.twilio_account_sid else self.sandbox_url

    @property
    def twilio_credentials(self) -> tuple[str, SecretStr]:
        """Twilio account SID and auth token, or placeholders the sandbox accepts."""
        if self.twilio_account_sid and self.twilio_auth_token:
            return self.twilio_account_sid, self.twilio_auth_token
        return SANDBOX_TWILIO_SID, SecretStr(SANDBOX_TWILIO_TOKEN)

    @property
    def push_origins(self) -> tuple[str, ...]:
        """Allowed push service origins, plus the sandbox when configured."""
        if self.push_allow_sandbox:
            return (*self.push_allowed_origins, self.sandbox_url)
        return self.push_allowed_origins


def _secrets_in(value: object) -> list[SecretStr]:
    """Every secret in a settings value: itself, or those of a list or of a dict's lists."""
    if isinstance(value, SecretStr):
        return [value]
    if isinstance(value, dict):
        value = [s for listed in value.values() for s in listed]
    return list(value) if isinstance(value, list) else []
