"""Alembic migrations: one version branch per module under ``versions/<module>/``."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

HERE = Path(__file__).parent


def alembic_config(database_url: str | None = None, *, output: io.StringIO | None = None) -> Config:
    """An Alembic config that finds every module's version folder (``output`` receives offline SQL)."""
    cfg = Config(output_buffer=output) if output is not None else Config()
    cfg.set_main_option("script_location", str(HERE))
    locations = sorted(str(p) for p in (HERE / "versions").iterdir()
                       if p.is_dir() and not p.name.startswith("__"))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join(locations))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def _online(engine: Engine) -> Config:
    return alembic_config(str(engine.url.render_as_string(hide_password=False)))


def upgrade(engine: Engine, target: str = "heads") -> None:
    """Bring the database to the newest revision of every module."""
    cfg = _online(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def downgrade(engine: Engine, target: str) -> None:
    """Undo migrations down to ``target`` (a revision, ``<module>@base``, or ``base`` for all)."""
    cfg = _online(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, target)


def upgrade_sql(dialect: str = "postgresql", target: str = "heads") -> str:
    """The SQL that ``upgrade`` would run on an empty database, for a DBA to review (offline mode)."""
    out = io.StringIO()
    cfg = alembic_config(f"{dialect}://", output=out)
    command.upgrade(cfg, target, sql=True)
    return out.getvalue()


def current(engine: Engine) -> set[str]:
    """The revisions the database is at."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def heads() -> frozenset[str]:
    """The newest revision of every module's branch (what ``upgrade`` brings a database to)."""
    return frozenset(_scripts().get_heads())


@dataclass(frozen=True)
class Revision:
    """One migration, for ``bayfin db history``."""

    revision: str
    down_revision: str | None
    branch: str
    message: str
    head: bool


def history() -> list[Revision]:
    """Every migration, newest first within each module's branch."""
    found = []
    for rev in _scripts().walk_revisions():
        down = rev.down_revision
        branch = sorted(rev.branch_labels)[0] if rev.branch_labels else rev.revision.split("_", 1)[0]
        found.append(Revision(revision=rev.revision,
                              down_revision=down if isinstance(down, str) or down is None
                              else ",".join(down),
                              branch=branch, message=(rev.doc or "").strip(), head=rev.is_head))
    return found


@dataclass(frozen=True)
class SchemaState:
    """How a database's revisions compare with this release's migrations."""

    current: frozenset[str]
    #: This release's heads whose migrations the database lacks (``bayfin db upgrade`` applies them).
    missing: frozenset[str]
    #: Revisions the database is at that this release does not know (a newer release migrated it).
    unknown: frozenset[str]

    @property
    def up_to_date(self) -> bool:
        """True when every module's newest migration has been applied."""
        return not self.missing and not self.unknown


def _applied(script: ScriptDirectory, revisions: frozenset[str]) -> set[str]:
    """The revisions and everything they revise or depend on (the database's version table lists
    only the tips: a module's branch that depends on kernel_0001 stands for it too)."""
    seen: set[str] = set()
    todo = list(revisions)
    while todo:
        rev = script.get_revision(todo.pop())
        if rev is None or rev.revision in seen:
            continue
        seen.add(rev.revision)
        for parent in (rev.down_revision, rev.dependencies):
            names = (parent,) if isinstance(parent, str) else (parent or ())
            todo.extend(r.revision for name in names for r in script.get_revisions(name) if r)
    return seen


def schema_state(engine: Engine) -> SchemaState:
    """Compare the database's revisions with this release's migrations."""
    from alembic.util.exc import CommandError

    script = _scripts()
    at = frozenset(current(engine))
    known = {r.revision for r in script.walk_revisions()}
    unknown = frozenset(at - known)
    try:
        applied = _applied(script, at - unknown)
    except CommandError:  # a dependency this release cannot resolve
        applied = set()
    return SchemaState(current=at, missing=frozenset(heads() - applied), unknown=unknown)
