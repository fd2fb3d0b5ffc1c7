"""The root ``bayfin`` command. Command groups are imported when they run, not when ``bayfin``
starts, so ``bayfin --version`` or ``bayfin db upgrade`` never pay for scikit-learn and friends."""

from __future__ import annotations

import typer

from bayfin import __version__, registry
from bayfin.cli.lazy import LazyGroup

#: The platform's own command groups, then each module's (``registry.CLI_NAMES``).
COMMANDS: dict[str, str] = {
    "db": "bayfin.cli.db:app",
    "audit": "bayfin.cli.admin:audit_app",
    "api": "bayfin.cli.admin:api_app",
    "auth": "bayfin.cli.admin:auth_app",
    "config": "bayfin.cli.config:app",
    **{name: f"{module}:app" for name, module in registry.cli_modules()},
}


class RootGroup(LazyGroup):
    """``bayfin``'s group: every command above, imported on first use."""

    lazy = COMMANDS


app = typer.Typer(name="bayfin", help="bayfin: the Guangdong fintech pilot platform.", cls=RootGroup,
                  no_args_is_help=True, pretty_exceptions_show_locals=False)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def root(show_version: bool = typer.Option(False, "--version", callback=_print_version,
                                           is_eager=True, help="Print the version and exit.")) -> None:
    """bayfin: the Guangdong fintech pilot platform."""


@app.command()
def version() -> None:
    """Print the bayfin version."""
    typer.echo(__version__)
