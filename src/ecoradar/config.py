"""Settings: one pydantic-settings class, environment prefix ``ECORADAR_``.

The default database is a SQLite file under ``ECORADAR_HOME``; production sets
``ECORADAR_DATABASE_URL=postgresql+psycopg://...``. Outside development the class refuses the
default secret key (and secrets under 32 characters), so a deployment cannot run with a secret
everybody knows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me-development-only"  # noqa: S105 - the value that is refused in production

SPAN_PATTERN = r"^\s*[1-9]\d{0,3}\s*(d|wd|D|WD)\s*$"
"""A deadline span: whole calendar days (``15d``) or working days (``2wd``)."""

Environment = Literal["development", "test", "staging", "production"]


class Settings(BaseSettings):
    """Everything EcoRadar reads from the environment."""

    model_config = SettingsConfigDict(env_prefix="ECORADAR_", env_file=None, extra="ignore")

    environment: Environment = "development"
    """``development``, ``test``, ``staging`` or ``production``; outside development the default
    secret key (or one under 32 characters) is refused."""
    home: Path = Field(default_factory=lambda: Path.home() / ".ecoradar")
    """The data directory (``~/.ecoradar``): the default SQLite file ``ecoradar.db``, media."""
    database_url: str | None = None
    """The database, ``postgresql+psycopg://user@host/ecoradar`` or ``sqlite:///PATH``; None: the
    SQLite file ``ecoradar.db`` under ``home``."""
    secret_key: str = DEFAULT_SECRET
    """Signs sessions and secrets; at least 32 characters outside development."""
    http_host: str = "127.0.0.1"
    """The address the web app listens on."""
    http_port: int = Field(default=8000, ge=1, le=65535)
    """The web app's port."""
    gateway_host: str = "127.0.0.1"
    """The address the HJ 212 gateway listens on (``0.0.0.0`` for devices on the network)."""
    gateway_port: int = Field(default=9212, ge=1, le=65535)
    """The HJ 212 gateway's TCP port."""
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    """The UI language when the browser does not ask for one."""
    tile_url: str | None = None
    """A base-map tile URL template (``https://.../{z}/{x}/{y}.png``); None: maps show the
    region polygons only."""
    tile_attribution: str = ""
    """The attribution shown under maps drawn with ``tile_url``."""
    echo_sql: bool = False
    """Log every SQL statement (debugging)."""
    problem_accept_within: str = Field(default="15d", pattern=SPAN_PATTERN)
    """Acceptance decided within this span of the report: ``15d`` (national), ``2wd`` (cities)."""
    problem_handle_within: str = Field(default="60d", pattern=SPAN_PATTERN)
    """A problem is handled within this span of acceptance, or of its latest reopening."""
    problem_extension: str = Field(default="30d", pattern=SPAN_PATTERN)
    """The span an extension adds to the handling deadline."""
    problem_max_extensions: int = Field(default=1, ge=0, le=10)
    """Extensions allowed per handling round."""
    supervision_answer_within: str = Field(default="5wd", pattern=SPAN_PATTERN)
    """A supervisor's question is answered within this span of asking (``5wd``: five working
    days; ``ecoradar.supervision``)."""
    problem_office_level: Literal["province", "city", "county", "township"] = "county"
    """The level of the area whose bureau is responsible for a problem in it."""
    open311_jurisdiction_id: str = Field(default="ecoradar", min_length=1, max_length=64)
    """The one ``jurisdiction_id`` the Open311 endpoints answer to."""
    public_url: str | None = Field(default=None, max_length=300, pattern=r"^https?://[^\s]+$")
    """The address people reach this server under (QR codes, links in messages); without it the
    address of the request is used."""
    scheduler_interval: float = Field(default=30.0, gt=0, le=3600)
    """Seconds between scheduler runs inside ``ecoradar serve``."""
    trusted_proxies: str = ""
    """Reverse proxies whose ``X-Forwarded-For`` names the client: addresses or networks,
    comma-separated (``web.proxies``). None by default: the header is ignored."""
    write_wait: float = Field(default=15.0, gt=0, le=600)
    """Seconds a unit of work that writes may wait for other writes (queueing, and running
    again after a busy or serialization failure) before it gives up: a request then gets 503
    with ``Retry-After``, nothing changed."""
    media_max_image_bytes: int = Field(default=15 * 1024 * 1024, ge=1, le=1024**3)
    """Largest photo accepted (bytes)."""
    media_max_document_bytes: int = Field(default=20 * 1024 * 1024, ge=1, le=1024**3)
    """Largest document (PDF, office file) accepted (bytes)."""
    media_max_pixels: int = Field(default=50_000_000, ge=1)
    """Most pixels a photo may have (guards against decompression bombs)."""
    clue_rate_limit_per_hour: int = Field(default=20, ge=1, le=1_000_000)
    """Clues one anonymous client (address, API key) may send per hour (public and Open311)."""
    clue_tracking_rate_limit_per_hour: int = Field(default=60, ge=1, le=1_000_000)
    """Unknown tracking codes and feedback answers one client may send per hour."""
    clue_feedback_days: int = Field(default=30, ge=1, le=365)
    """Days after closure in which a reporter may confirm or dispute it and rate the handling."""
    clue_description_max_chars: int = Field(default=4000, ge=1, le=5000)
    """Longest clue description (Open311 allows 4000 characters)."""
    clue_max_photos: int = Field(default=9, ge=1, le=50)
    """Most photos one clue may carry."""
    clue_dedupe_radius_m: float = Field(default=250.0, gt=0, le=20_000)
    """Metres around a new clue searched for open problems of its category (deduplication),
    for categories without their own radius (built in: water, air, odour 500, noise 150)."""
    clue_dedupe_window_days: int = Field(default=7, ge=1, le=365)
    """Days before or after a problem's activity in which a clue may be about it."""
    clue_dedupe_radius_overrides: dict[str, float] = Field(default_factory=dict)
    """Radius per category in metres, over the built-in ones: JSON, ``{"water": 800}``."""
    keep_rtd_days: int = Field(default=7, ge=0, le=36_500)
    """Real-time values (CN 2011) are kept for this many China days before today; 0: for good
    (``ecoradar.monitoring.retention``)."""
    keep_minute_months: int = Field(default=6, ge=0, le=1_200)
    """Minute values (CN 2051) are kept for this many China months before the current one, and
    hourly values derived where missing before they go; 0: for good."""
    keep_raw_days: int = Field(default=180, ge=0, le=36_500)
    """Raw packets are kept for this many China days before today (by receive time); 0: for
    good."""
    greencode_model: Path | None = None
    """The green code's scoring model (TOML, see ``ecoradar/greencode/model.toml``); None: the
    built-in one. A bad file is refused naming the file and the key."""
    mqtt_url: str | None = Field(default=None, max_length=300, pattern=r"^mqtts?://[^\s]+$")
    """The MQTT broker power meter gateways publish to (``mqtt://[user:password@]host[:port]``);
    set, ``ecoradar serve`` subscribes to it (``ecoradar.power.mqtt``). None: off."""
    power_topic_prefix: str = Field(
        default="ecoradar/power", min_length=1, max_length=100, pattern=r"^[^#+\s]+$"
    )
    """Readings arrive on ``{prefix}/{enterprise USCC}/{meter id}``."""
    mqtt_client_id: str = Field(default="ecoradar-power", min_length=1, max_length=64)
    """The subscriber's client id: its session on the broker keeps QoS 1 messages while away."""
    reminders_config: Path | None = None
    """Service reminders' triggers, issuer and delivery (TOML, see
    ``ecoradar/reminders/reminders.toml``); None: the built-in one. Missing keys keep theirs."""

    @field_validator("clue_dedupe_radius_overrides")
    @classmethod
    def _check_radius_overrides(cls, value: dict[str, float]) -> dict[str, float]:
        from ecoradar.problems.models import CATEGORIES  # not at import: config comes first

        for category, metres in value.items():
            if category not in CATEGORIES:
                raise ValueError(f"{category!r} is not one of {', '.join(CATEGORIES)}")
            if not 0 < metres <= 20_000:
                raise ValueError(f"{category}: {metres} m is not between 0 and 20,000")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_trusted_proxies(cls, value: str) -> str:
        from ecoradar.web.proxies import parse_trusted_proxies  # not at import: config first

        return ",".join(parse_trusted_proxies(value))

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        if self.environment == "development":
            return self
        if self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "ECORADAR_SECRET_KEY is the development default; set a secret of your own "
                f"before running with ECORADAR_ENVIRONMENT={self.environment}"
            )
        if len(self.secret_key) < 32:
            raise ValueError(
                "ECORADAR_SECRET_KEY must be at least 32 characters outside development"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The configured database, or the default SQLite file under ``home``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.home / 'ecoradar.db'}"
