"""Alembic environment: runs against the connection bayfin hands it, or the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bayfin import registry
from bayfin.kernel.db import Base, make_engine

registry.load_models()
target_metadata = Base.metadata
config = context.config


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate using a given connection (bayfin db upgrade) or a fresh engine (alembic CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    from bayfin.kernel.settings import get_settings

    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run against a database")
run_migrations_online()
