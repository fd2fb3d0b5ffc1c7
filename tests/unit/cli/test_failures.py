"""Which failures the CLI says in one line, and which keep their traceback (bugs)."""

from __future__ import annotations

import sqlite3

import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError

from bayfin.cli.failures import CliError, describe
from bayfin.kernel.errors import Conflict
from bayfin.kernel.settings import Settings


def test_a_refused_setting_is_one_line_naming_the_setting():
    with pytest.raises(ValidationError) as refused:
        Settings(api_port="eighty")
    message, code = describe(refused.value) or ("", 0)
    assert code == 2 and message.startswith("refused settings: api_port:")
    assert "\n" not in message


def test_a_missing_table_says_to_upgrade_the_database():
    exc = OperationalError("SELECT 1", {}, sqlite3.OperationalError("no such table: fraud_decisions"))
    assert describe(exc) == ("the database is not migrated to this release: run `bayfin db upgrade`", 1)


def test_operator_problems_and_refusals_are_described():
    assert describe(CliError("cannot reach the database", 1)) == ("cannot reach the database", 1)
    assert describe(Conflict("already approved")) == ("already approved", 2)


def test_bugs_are_not_dressed_up():
    assert describe(KeyError("x")) is None
    assert describe(ValueError("x")) is None
    assert describe(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed"))) is None


def test_an_unreachable_broker_or_cache_is_one_line():
    from nats.errors import NoServersError
    from redis.exceptions import ConnectionError as RedisConnectionError

    assert describe(NoServersError()) == ("cannot reach NATS: nats: no servers available for connection", 1)
    assert describe(RedisConnectionError("Error 111 connecting to 127.0.0.1:9."))[0].startswith(
        "cannot reach Redis")
    assert describe(ConnectionRefusedError(111, "Connection refused")) == (
        "cannot connect: [Errno 111] Connection refused", 1)
