"""The root ``bayfin`` command: platform-wide commands plus each module's mounted app."""

from __future__ import annotations

import typer

from bayfin import __version__, registry
from bayfin.cli.context import open_platform
from bayfin.cli.output import JsonOption, console, emit, err_console, print_json
from bayfin.kernel.audit import verify_chain
from bayfin.kernel.security import Principal
from bayfin.kernel.settings import Environment, get_settings

app = typer.Typer(name="bayfin", help="bayfin: the Guangdong fintech pilot platform.",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
api_app = typer.Typer(help="The HTTP API.", no_args_is_help=True)
auth_app = typer.Typer(help="Development credentials.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(api_app, name="api")
app.add_typer(auth_app, name="auth")


@app.command()
def version() -> None:
    """Print the bayfin version."""
    typer.echo(__version__)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every module's migrations to the configured database."""
    from bayfin import migrations

    with open_platform() as platform:
        migrations.upgrade(platform.engine)
        heads = sorted(migrations.current(platform.engine))
    console.print(f"[green]database at[/green] {', '.join(heads)}")


@db_app.command("current")
def db_current(as_json: bool = JsonOption) -> None:
    """Show the revisions the database is at."""
    from bayfin import migrations

    with open_platform() as platform:
        heads = sorted(migrations.current(platform.engine))
    emit([{"revision": h} for h in heads], as_json=as_json, title="database revisions")


@audit_app.command("verify")
def audit_verify(as_json: bool = JsonOption) -> None:
    """Recompute the audit chain; exit 1 if any entry was edited, removed or reordered."""
    settings = get_settings()
    with open_platform() as platform:
        platform.audit.seal_all(platform.session_factory)
        with platform.session_factory() as session:
            report = verify_chain(session, settings.audit_key.get_secret_value().encode())
    result = {"ok": report.ok, "entries": report.entries, "last_seq": report.last_seq,
              "pending": report.pending, "problems": [p.__dict__ for p in report.problems]}
    if as_json:
        print_json(result)
    elif report.ok:
        console.print(f"[green]audit chain intact[/green]: {report.entries} entries")
    else:
        emit(result["problems"], as_json=False, title="audit chain BROKEN")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("seal")
def audit_seal() -> None:
    """Seal every recorded entry into the chain now (each bayfin process also does it continually)."""
    with open_platform() as platform:
        sealed = platform.audit.seal_all(platform.session_factory)
    console.print(f"sealed {sealed} entries")


@api_app.command("serve")
def api_serve(host: str = typer.Option(None, help="Bind address (default from settings)."),
              port: int = typer.Option(None, help="Port (default from settings)."),
              workers: int = typer.Option(1, help="Worker processes.")) -> None:
    """Run the HTTP API with uvicorn. SIGTERM drains: no new connections, requests in progress are
    answered, then exit 0. Several workers share their /metrics through PROMETHEUS_MULTIPROC_DIR."""
    from bayfin.cli.serving import run_api

    settings = get_settings()
    run_api(host or settings.api_host, port or settings.api_port, workers, settings.data_dir)


@auth_app.command("dev-token")
def auth_dev_token(subject: str = typer.Option("operator", help="Subject (user or client id)."),
                   org: str = typer.Option("platform", help="Organization id."),
                   org_type: str = typer.Option("operator", help="operator|institution|enterprise|"
                                                                 "regulator"),
                   role: list[str] = typer.Option(["operator"], help="Role (repeatable)."),
                   scope: list[str] = typer.Option([], help="Scope (repeatable)."),
                   ttl: int = typer.Option(3600, help="Lifetime in seconds.")) -> None:
    """Mint an access token from the local key set (development only; refused in production)."""
    settings = get_settings()
    if settings.environment is Environment.production:
        err_console.print("[red]dev tokens are refused in production; use the identity platform[/red]")
        raise typer.Exit(2)
    with open_platform() as platform:
        token = platform.tokens.issue(Principal(subject=subject, organization_id=org,
                                                organization_type=org_type, roles=frozenset(role),
                                                scopes=frozenset(scope)), ttl_seconds=ttl)
    typer.echo(token)


for _name, _sub in registry.cli_apps():
    app.add_typer(_sub, name=_name)
