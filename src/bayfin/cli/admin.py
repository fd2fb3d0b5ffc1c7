"""Platform-wide commands: ``bayfin audit``, ``bayfin api`` and ``bayfin auth``."""

from __future__ import annotations

from pathlib import Path

import typer

from bayfin.cli.context import open_engine, open_platform, require_current_schema
from bayfin.cli.failures import CliError
from bayfin.cli.output import JsonOption, console, emit, err_console, print_json
from bayfin.kernel.audit import verify_chain
from bayfin.kernel.security import Principal
from bayfin.kernel.settings import Environment, get_settings

audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
api_app = typer.Typer(help="The HTTP API.", no_args_is_help=True)
auth_app = typer.Typer(help="Credentials: the signing key set, development tokens.", no_args_is_help=True)


@audit_app.command("verify")
def audit_verify(as_json: bool = JsonOption) -> None:
    """Recompute the audit chain; exit 1 if any entry was edited, removed, reordered or forged. It only
    reads: entries not sealed yet are counted as pending (run ``bayfin audit seal`` to seal them)."""
    settings = get_settings()
    with open_platform() as platform, platform.session_factory() as session:
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
def api_serve(host: str = typer.Option(None, help="Bind address (default BAYFIN_API_HOST)."),
              port: int = typer.Option(None, help="Port (default BAYFIN_API_PORT)."),
              workers: int = typer.Option(None, min=1,
                                          help="Worker processes (default BAYFIN_API_WORKERS).")) -> None:
    """Run the HTTP API with uvicorn, once the settings and the database's schema are right. SIGTERM
    drains: no new connections, requests in progress are answered, then exit 0. Several workers share
    their /metrics through PROMETHEUS_MULTIPROC_DIR."""
    from bayfin.cli.serving import run_api

    settings = get_settings()
    workers = workers or settings.api_workers
    problems = settings.with_workers(workers).production_problems()
    if problems:
        raise CliError("refused settings: " + "; ".join(problems), exit_code=2)
    with open_engine(settings) as engine:
        require_current_schema(engine)
    run_api(host or settings.api_host, port or settings.api_port, workers, settings.data_dir)


@auth_app.command("keygen")
def auth_keygen(out: Path = typer.Option(..., help="Where to write the key set (mode 0600).")) -> None:
    """Create the token-signing key set (JWKS, RSA 2048) that a deployment mounts as BAYFIN_JWKS_FILE.

    Production never creates one by itself; this is how an operator provisions it. An existing file
    is never overwritten (rotate keys with `bayfin identity keys rotate`)."""
    from bayfin.kernel.security import FileKeyStore

    if out.exists():
        err_console.print(f"[red]{out} exists; refusing to overwrite a key set[/red]")
        raise typer.Exit(2)
    store = FileKeyStore(out)
    typer.echo(f"key set written to {out} (signing key {store.signing_key().kid})")


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
