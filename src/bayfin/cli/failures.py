"""What an operator can fix, said in one line: a refused setting, a database that does not answer or
is not migrated, a business refusal. Anything else is a bug and keeps its traceback."""

from __future__ import annotations

import sys

import typer

UPGRADE_HINT = "run `bayfin db upgrade`"


class CliError(Exception):
    """A problem outside the code (configuration, a backing service): one line and an exit code."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _settings_refusal(exc: BaseException) -> str | None:
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError) or not exc.title.endswith("Settings"):
        return None
    problems = []
    for error in exc.errors(include_url=False):
        message = str(error["msg"]).removeprefix("Value error, ")
        where = ".".join(str(part) for part in error["loc"])
        problems.append(f"{where}: {message}" if where else message)
    return "refused settings: " + "; ".join(problems)


def _database_problem(exc: BaseException) -> str | None:
    if "sqlalchemy" not in sys.modules:
        return None
    from sqlalchemy.exc import DBAPIError

    if not isinstance(exc, DBAPIError):
        return None
    text = str(exc.orig).lower()
    # SQLite says "no such table/column"; PostgreSQL raises UndefinedTable/UndefinedColumn.
    if ("no such table" in text or "no such column" in text
            or type(exc.orig).__name__ in {"UndefinedTable", "UndefinedColumn"}):
        return f"the database is not migrated to this release: {UPGRADE_HINT}"
    from sqlalchemy.exc import OperationalError

    if isinstance(exc, OperationalError):
        return f"database error: {_first_line(exc)}"
    return None


def _service_problem(exc: BaseException) -> str | None:
    if "redis" in sys.modules:
        from redis.exceptions import ConnectionError as RedisConnectionError

        if isinstance(exc, RedisConnectionError):
            return f"cannot reach Redis (BAYFIN_REDIS_URL): {_first_line(exc)}"
    if "nats" in sys.modules:
        from nats.errors import NoServersError

        if isinstance(exc, NoServersError):
            return f"cannot reach NATS: {_first_line(exc)}"
    if isinstance(exc, ConnectionError):
        return f"cannot connect: {_first_line(exc)}"
    return None


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The one line and exit code for an operator-fixable failure, or None for a bug."""
    if isinstance(exc, CliError):
        return exc.message, exc.exit_code
    from bayfin.kernel.errors import AppError

    if isinstance(exc, AppError):
        return exc.message, 2
    refusal = _settings_refusal(exc)
    if refusal is not None:
        return refusal, 2
    if "alembic" in sys.modules:
        from alembic.util.exc import CommandError

        if isinstance(exc, CommandError):
            return f"migrations: {_first_line(exc)} (see `bayfin db history`)", 2
    problem = _database_problem(exc) or _service_problem(exc)
    return (problem, 1) if problem is not None else None


def say(message: str) -> None:
    """Print ``bayfin: message`` as exactly one line on stderr (never wrapped to the terminal)."""
    typer.echo("bayfin: " + " ".join(message.split()), err=True)
