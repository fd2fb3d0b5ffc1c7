"""``bayfin db``: the database schema (Alembic, one branch per module)."""

from __future__ import annotations

import typer

from bayfin.cli.context import open_engine
from bayfin.cli.output import JsonOption, console, emit
from bayfin.cli.restore import restore_check

app = typer.Typer(help="Database schema.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade(sql: bool = typer.Option(False, "--sql", help="Print the SQL for an empty PostgreSQL "
                                                             "database instead of running it (for "
                                                             "a DBA to review and apply)."),
               target: str = typer.Option("heads", help="Revision to reach (default: every "
                                                        "module's newest).")) -> None:
    """Apply every module's migrations to the configured database."""
    from bayfin import migrations

    if sql:
        typer.echo(migrations.upgrade_sql("postgresql", target), nl=False)
        return
    with open_engine() as engine:
        migrations.upgrade(engine, target)
        heads = sorted(migrations.current(engine))
    console.print(f"[green]database at[/green] {', '.join(heads)}")


@app.command("downgrade")
def db_downgrade(revision: str = typer.Argument(..., help="Revision to go back to: a revision id, "
                                                          "<module>@base, or base (drops every table)."),
                 yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation.")) -> None:
    """Undo migrations down to REVISION; the tables and columns they added are dropped with their data."""
    from bayfin import migrations

    with open_engine() as engine:
        where = engine.url.render_as_string(hide_password=True)
        if not yes and not typer.confirm(f"drop what the migrations after {revision} added in "
                                         f"{where}?"):
            raise typer.Exit(1)
        migrations.downgrade(engine, revision)
        heads = sorted(migrations.current(engine))
    console.print(f"[yellow]database at[/yellow] {', '.join(heads) or 'base (no bayfin tables)'}")


@app.command("current")
def db_current(as_json: bool = JsonOption) -> None:
    """Show the revisions the database is at."""
    from bayfin import migrations

    with open_engine() as engine:
        heads = sorted(migrations.current(engine))
    emit([{"revision": h} for h in heads], as_json=as_json, title="database revisions")


@app.command("history")
def db_history(as_json: bool = JsonOption) -> None:
    """List every migration of every module, marking each module's newest."""
    from bayfin import migrations

    rows = [{"module": r.branch, "revision": r.revision, "revises": r.down_revision,
             "head": r.head, "message": r.message} for r in migrations.history()]
    emit(rows, as_json=as_json, title="migrations")

app.command("restore-check")(restore_check)
