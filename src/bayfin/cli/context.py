"""How CLI commands get the platform: built from settings, checked against the database's schema,
disposed on exit."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from bayfin.bootstrap import build_platform
from bayfin.cli.failures import UPGRADE_HINT, CliError
from bayfin.kernel.db import make_engine, ping
from bayfin.kernel.logging import configure_logging
from bayfin.kernel.platform import Platform
from bayfin.kernel.settings import Settings, get_settings


def cli_actor() -> str:
    """Who acts in the audit log when a command runs: the operating-system user at the console."""
    return f"cli:{getpass.getuser()}"


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


@contextmanager
def open_engine(settings: Settings | None = None) -> Iterator[Engine]:
    """An engine to the configured database once it answers; no platform, so no audit sealer and no
    module wiring run against a database that may not have their tables yet (``bayfin db``)."""
    settings = settings or get_settings()
    configure_logging("WARNING", json_lines=False)
    engine = make_engine(settings.database_url, pool_size=2)
    try:
        try:
            ping(engine)
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "no answer"
            raise CliError(f"cannot reach the database at {_where(engine)}: {reason}") from exc
        yield engine
    finally:
        engine.dispose()


def require_current_schema(engine: Engine) -> None:
    """Refuse to work on a database that this release's migrations have not (all) been applied to."""
    from bayfin import migrations

    state = migrations.schema_state(engine)
    if state.up_to_date:
        return
    if state.unknown:
        raise CliError(f"the database at {_where(engine)} is at revisions this bayfin does not know "
                       f"({', '.join(sorted(state.unknown))}): it was migrated by a newer release")
    if not state.current:
        raise CliError(f"the database at {_where(engine)} has no bayfin tables: {UPGRADE_HINT}")
    missing = sorted(state.missing)
    raise CliError(f"the database at {_where(engine)} is not migrated to this release "
                   f"(behind: {', '.join(missing)}): {UPGRADE_HINT}")


@contextmanager
def open_platform(*, migrate: bool = False) -> Iterator[Platform]:
    """The platform for one CLI command (logs go to stderr as text unless BAYFIN_LOG_JSON).

    The database must answer and be at this release's schema, or the command ends with one line
    saying so; ``migrate=True`` (the demo) applies the migrations first instead.
    """
    from bayfin import migrations

    settings = get_settings()
    with open_engine(settings) as engine:
        if migrate:
            migrations.upgrade(engine)
        else:
            require_current_schema(engine)
    platform = build_platform(settings)
    try:
        yield platform
    finally:
        platform.dispose()
