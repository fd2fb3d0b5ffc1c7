"""``bayfin db restore-check``: prove a PostgreSQL backup restores and its audit chain verifies.

Dump the configured database (or take a given dump), restore it into a new scratch database, compare
row counts, and run ``bayfin audit verify`` against the restored copy; the scratch database is dropped
afterwards unless ``--keep``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import URL, Engine

from bayfin.cli.context import open_engine
from bayfin.cli.failures import CliError
from bayfin.cli.output import JsonOption, console, emit, print_json
from bayfin.kernel.db import create_database, drop_database, make_engine, row_counts
from bayfin.kernel.settings import get_settings


@dataclass
class RestoreCheck:
    """What a restore check found."""

    database: str
    dump: str
    tables: int = 0
    row_mismatches: list[dict[str, Any]] = field(default_factory=list)
    audit: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the restore matched its source and its audit chain verified."""
        return not self.row_mismatches and bool(self.audit.get("ok"))


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A URL for pg_dump/psql without its password, and the environment carrying the password."""
    env = {**os.environ}
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise CliError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    # args: an installed PostgreSQL tool, its fixed options, the configured database and a file path.
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        reason = (done.stderr.strip() or done.stdout.strip() or "failed").splitlines()[0]
        raise CliError(f"{what} failed: {reason}")


def _restore(dump: Path, target: URL) -> None:
    url, env = _libpq(target)
    with dump.open("rb") as head:
        custom = head.read(5) == b"PGDMP"
    if custom:
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={url}", str(dump)], env, "pg_restore")
    else:
        _run([_tool("psql"), "--quiet", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "--file", str(dump),
              url], env, "psql")


def _verify_audit(target: URL) -> dict[str, Any]:
    """``bayfin audit verify --json`` run against the restored database, exactly as an operator would."""
    env = {**os.environ, "BAYFIN_DATABASE_URL": target.render_as_string(hide_password=False)}
    done = subprocess.run([sys.executable, "-m", "bayfin.cli", "audit", "verify", "--json"], env=env,
                          capture_output=True, text=True, check=False)
    try:
        found: dict[str, Any] = json.loads(done.stdout)
    except ValueError as exc:
        reason = (done.stderr.strip() or "no output").splitlines()[-1]
        raise CliError(f"bayfin audit verify on the restored database failed: {reason}") from exc
    found["exit_code"] = done.returncode
    return found


def check_restore(source: Engine, dump: Path | None, keep: bool) -> RestoreCheck:
    """Restore ``dump`` (or a fresh dump of ``source``) into a new database on the same server, compare
    it with the source when the dump was just taken, and verify its audit chain."""
    if source.dialect.name != "postgresql":
        raise CliError("restore-check needs PostgreSQL (BAYFIN_DATABASE_URL); SQLite is backed up by "
                       "copying its file while no process writes")
    name = f"{source.url.database}"[:40] + f"_restore_check_{uuid.uuid4().hex[:8]}"
    target = source.url.set(database=name)
    with tempfile.TemporaryDirectory(prefix="bayfin-restore-") as work:
        expected: dict[str, int] | None = None
        if dump is None:
            dump = Path(work) / "bayfin.dump"
            url, env = _libpq(source.url)
            expected = row_counts(source)
            _run([_tool("pg_dump"), "--format=custom", f"--file={dump}", url], env, "pg_dump")
        create_database(source, name)
        try:
            _restore(dump, target)
            restored = make_engine(target.render_as_string(hide_password=False), pool_size=1)
            try:
                counts = row_counts(restored)
            finally:
                restored.dispose()
            result = RestoreCheck(database=name, dump=str(dump), tables=len(counts))
            if expected is not None:
                result.row_mismatches = [
                    {"table": t, "source": expected.get(t), "restored": counts.get(t)}
                    for t in sorted(set(expected) | set(counts)) if expected.get(t) != counts.get(t)]
            result.audit = _verify_audit(target)
        finally:
            if not keep:
                drop_database(source, name)
    return result


def restore_check(from_dump: Path = typer.Option(None, "--from-dump", exists=True, dir_okay=False,
                                                  help="Check this backup (pg_dump custom or plain "
                                                       "SQL) instead of a fresh dump."),
                  keep: bool = typer.Option(False, "--keep", help="Keep the restored database."),
                  as_json: bool = JsonOption) -> None:
    """Dump the database, restore it into a new database and verify the audit chain there; exit 1 if
    rows differ or the chain does not verify (needs pg_dump, pg_restore and psql)."""
    settings = get_settings()
    with open_engine(settings) as engine:
        result = check_restore(engine, from_dump, keep)
    summary = {"ok": result.ok, "restored_database": result.database if keep else None,
               "tables": result.tables, "row_mismatches": result.row_mismatches,
               "audit_entries": result.audit.get("entries"), "audit_ok": result.audit.get("ok"),
               "audit_problems": result.audit.get("problems", [])}
    if as_json:
        print_json(summary)
    elif result.ok:
        console.print(f"[green]restore verified[/green]: {result.tables} tables, "
                      f"{result.audit.get('entries')} audit entries intact")
    else:
        if result.row_mismatches:
            emit(result.row_mismatches, as_json=False, title="rows differ after restore")
        if not result.audit.get("ok"):
            emit(result.audit.get("problems", []), as_json=False,
                 title="audit chain BROKEN in the restored database")
    if not result.ok:
        raise typer.Exit(1)
