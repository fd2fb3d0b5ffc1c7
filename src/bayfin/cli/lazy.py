"""The root command group: imports a command group only when it runs, and turns what an operator
can fix into one line (see failures.py) for every command at once."""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import typer
from typer.core import TyperGroup
from typer.main import get_group

from bayfin.cli.failures import describe, say


class LazyGroup(TyperGroup):
    """A Typer group whose sub-groups are ``"package.module:attribute"`` strings until first used."""

    lazy: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        """Eager commands first, then the lazy groups in declaration order."""
        eager = super().list_commands(ctx)
        return [*eager, *(name for name in self.lazy if name not in eager)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The command, importing its module the first time it is asked for."""
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in self.lazy:
            return found
        module_name, _, attribute = self.lazy[cmd_name].partition(":")
        sub_app: typer.Typer = getattr(importlib.import_module(module_name), attribute or "app")
        group = get_group(sub_app)
        group.name = cmd_name
        self.add_command(group, cmd_name)
        return group

    def invoke(self, ctx: Any) -> Any:
        """Run the command; an operator-fixable failure ends it with one line and a non-zero code."""
        try:
            return super().invoke(ctx)
        except Exception as exc:
            described = describe(exc)
            if described is None:
                raise
            message, code = described
            say(message)
            raise typer.Exit(code) from exc
