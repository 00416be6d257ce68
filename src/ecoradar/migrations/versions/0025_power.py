"""power sub-metering: units, meters, readings, episodes; the power finding channel

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05 05:00:00

Power sub-metering (issue 17, item 3): an enterprise's production units and treatment
facilities (``power_units``), the meters on them with their thresholds (``power_meters``), the
readings they send over MQTT or HTTP, keyed by meter and time (``power_readings``), and the
episodes the rules find (``power_episodes``: a treatment facility off or idling while
production runs, production running while online monitoring is silent). Each episode becomes a
finding of the new channel ``power``. The token scope ``power`` needs no change here (scopes
are a JSON list checked by the application).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import ecoradar.core.db

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = ecoradar.core.db.UTCDateTime
JSON = ecoradar.core.db.JSONType
FINDING_CHANNELS = (
    "monitoring", "public", "open311", "grid_worker", "drone", "unmanned_ship",
    "self_inspection", "department", "hotline", "media", "ngo", "referral", "linkage",
    "inspection", "third_party", "supervisor", "station",
)  # fmt: skip
NEW_CHANNELS = ("power",)


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _channels(values: Sequence[str]) -> None:
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_findings_channel"), type_="check")
        batch_op.create_check_constraint(op.f("ck_findings_channel"), _in("channel", values))


def upgrade() -> None:
    op.create_table(
        "power_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("treats", sa.String(length=8), nullable=True),
        sa.Column("serves", JSON, nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('production', 'treatment')", name=op.f("ck_power_units_kind")),
        sa.CheckConstraint(
            "treats IS NULL OR treats IN ('gas', 'water', 'other')",
            name=op.f("ck_power_units_treats"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_power_units_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_units")),
        sa.UniqueConstraint(
            "enterprise_id", "code", name=op.f("uq_power_units_enterprise_id_code")
        ),
    )
    op.create_index(
        op.f("ix_power_units_enterprise_id"), "power_units", ["enterprise_id"], unique=False
    )
    op.create_table(
        "power_meters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("rated_kw", sa.Float(), nullable=False),
        sa.Column("running_kw", sa.Float(), nullable=False),
        sa.Column("idle_kw", sa.Float(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("points", JSON, nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint("rated_kw > 0", name=op.f("ck_power_meters_rated")),
        sa.CheckConstraint(
            "idle_kw > 0 AND idle_kw <= running_kw", name=op.f("ck_power_meters_thresholds")
        ),
        sa.CheckConstraint(
            "interval_s >= 1 AND interval_s <= 3600", name=op.f("ck_power_meters_interval")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_power_meters_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["power_units.id"],
            name=op.f("fk_power_meters_unit_id_power_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_meters")),
        sa.UniqueConstraint("code", name=op.f("uq_power_meters_code")),
    )
    op.create_index(
        op.f("ix_power_meters_enterprise_id"), "power_meters", ["enterprise_id"], unique=False
    )
    op.create_index(op.f("ix_power_meters_unit_id"), "power_meters", ["unit_id"], unique=False)
    op.create_table(
        "power_readings",
        sa.Column("meter_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("kw", sa.Float(), nullable=False),
        sa.Column("kwh", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("received_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint("source IN ('mqtt', 'http')", name=op.f("ck_power_readings_source")),
        sa.ForeignKeyConstraint(
            ["meter_id"],
            ["power_meters.id"],
            name=op.f("fk_power_readings_meter_id_power_meters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("meter_id", "at", name=op.f("pk_power_readings")),
    )
    op.create_table(
        "power_episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=24), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("start", UTC(timezone=True), nullable=False),
        sa.Column("end", UTC(timezone=True), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("finding_id", sa.Integer(), nullable=True),
        sa.Column("facts", JSON, nullable=False),
        sa.Column("detected_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rule IN ('treatment_idle', 'monitoring_offline')", name=op.f("ck_power_episodes_rule")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_power_episodes_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_power_episodes_finding_id_findings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_episodes")),
        sa.UniqueConstraint(
            "enterprise_id",
            "rule",
            "subject",
            "start",
            name=op.f("uq_power_episodes_enterprise_id_rule_subject_start"),
        ),
    )
    op.create_index(
        "ix_power_episodes_enterprise_start",
        "power_episodes",
        ["enterprise_id", "start"],
        unique=False,
    )
    _channels(FINDING_CHANNELS + NEW_CHANNELS)


def downgrade() -> None:
    bind = op.get_bind()
    used = bind.scalar(sa.text("SELECT count(*) FROM findings WHERE channel = 'power'"))
    if used:
        raise RuntimeError(
            f"{used} findings came through the power channel: downgrading past 0025 would "
            "leave them outside the channel list; delete or move them first"
        )
    _channels(FINDING_CHANNELS)
    op.drop_index("ix_power_episodes_enterprise_start", table_name="power_episodes")
    op.drop_table("power_episodes")
    op.drop_table("power_readings")
    op.drop_index(op.f("ix_power_meters_unit_id"), table_name="power_meters")
    op.drop_index(op.f("ix_power_meters_enterprise_id"), table_name="power_meters")
    op.drop_table("power_meters")
    op.drop_index(op.f("ix_power_units_enterprise_id"), table_name="power_units")
    op.drop_table("power_units")
