"""The exposure review and expiry, from the environment (prefix ``ECORADAR_EXPOSURE_``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ExposureSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ECORADAR_EXPOSURE_", env_file=None, extra="ignore"
    )

    four_eyes: bool = True
    """Publication needs a second officer (not the proposer)."""
    review_wait_hours: float = Field(default=0.0, ge=0, le=24 * 90)
    """Hours after the proposal before anyone may approve it (a waiting period)."""
    expiry_days: int = Field(default=365, ge=1, le=5 * 366)
    """Default days an entry stays on the public page once published (12 months)."""
    max_expiry_days: int = Field(default=3 * 366, ge=1, le=10 * 366)
    """The longest an officer may choose."""

    @model_validator(mode="after")
    def _some_review(self) -> Self:
        if not self.four_eyes and self.review_wait_hours == 0:
            raise ValueError(
                "ECORADAR_EXPOSURE_FOUR_EYES=false needs ECORADAR_EXPOSURE_REVIEW_WAIT_HOURS > 0: "
                "publication needs a review (a second officer, a waiting period, or both)"
            )
        if self.expiry_days > self.max_expiry_days:
            raise ValueError(
                "ECORADAR_EXPOSURE_EXPIRY_DAYS exceeds ECORADAR_EXPOSURE_MAX_EXPIRY_DAYS"
            )
        return self

    @property
    def review_wait(self) -> timedelta:
        return timedelta(hours=self.review_wait_hours)
