"""Alembic migrations: one version branch per module under ``versions/<module>/``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

HERE = Path(__file__).parent


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config that finds every module's version folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = sorted(str(p) for p in (HERE / "versions").iterdir()
                       if p.is_dir() and not p.name.startswith("__"))
    cfg.set_main_option("path_separator", "os")
    import os
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring the database to the newest revision of every module."""
    cfg = alembic_config(str(engine.url.render_as_string(hide_password=False)))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def current(engine: Engine) -> set[str]:
    """The revisions the database is at."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())
