"""The anti-fraud module's settings (``BAYFIN_FRAUD_*``), read once and passed explicitly."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bayfin.antifraud.engine.state import ONCE_TTL_SECONDS

__all__ = ["FraudSettings"]


class FraudSettings(BaseSettings):
    """Anti-fraud knobs (``BAYFIN_FRAUD_*``)."""

    model_config = SettingsConfigDict(env_prefix="BAYFIN_FRAUD_", env_file=None, extra="ignore")

    rules_dir: Path | None = Field(default=None, description="Folder of rule files (YAML); empty: the rule "
                                   "set shipped with bayfin.")
    state: Literal["memory", "redis"] = Field(
        default="memory", description="Where feature state (velocity windows, profiles) lives: in the "
        "process, or in Redis shared by every worker (needs BAYFIN_REDIS_URL).")
    write_mode: Literal["inline", "batched"] = Field(
        default="inline", description="Record each decision in its request's transaction, or in batches "
        "off the hot path.")
    batch_size: int = Field(default=500, ge=1, le=50_000, description="Decisions per batched write.")
    reload_seconds: float = Field(default=5.0, ge=0, description="How often to look for changed rule files "
                                  "(0: never).")
    lists_refresh_seconds: float = Field(default=30.0, ge=0, description="How often to re-read block/allow "
                                         "lists written by other workers.")
    warm_rules: bool = Field(default=False, description="Compile every event type's rule group at start "
                             "instead of on first use.")
    tune_gc: bool = Field(default=False, description="Serving: collect garbage less often (long-lived "
                          "feature states made full collections show up as latency spikes) and freeze "
                          "start-up objects out of the collector's sight.")
    models_dir: Path | None = Field(default=None, description="The model registry folder; the live and "
                                    "shadow versions are loaded from it (empty: rules only).")
    model_reload_seconds: float = Field(default=5.0, ge=0, description="How often to look for a changed "
                                        "model registry.")
    alert_block_amount_fen: int = Field(default=5_000_000, ge=0, description="A BLOCK at least this large "
                                        "(fen) opens a case for an analyst.")
    alert_shadow_disagreement: float = Field(
        default=0.5, gt=0, le=1, description="A gap between the live and shadow model's probabilities "
        "this large opens a case.")
    once_seconds: int = Field(default=ONCE_TTL_SECONDS, ge=1, description="Shared (Redis) state: how long an "
                              "event folded into it is remembered, so a redelivery to another worker is not "
                              "counted twice (must outlast the broker's ack wait).")
