"""Shared CLI output: Rich tables for people, JSON for machines (``--json``), progress bars."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

console = Console()
err_console = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print JSON instead of a table.")


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(type(value).__name__)


def print_json(data: Any) -> None:
    """Write ``data`` as indented JSON on stdout."""
    typer.echo(orjson.dumps(data, default=_default, option=orjson.OPT_INDENT_2).decode())


def print_table(rows: Sequence[Mapping[str, Any]], *, title: str | None = None,
                columns: Sequence[str] | None = None) -> None:
    """Render rows as a Rich table (columns default to the first row's keys)."""
    if not rows:
        console.print(f"[dim]{title + ': ' if title else ''}nothing to show[/dim]")
        return
    cols = list(columns or rows[0].keys())
    table = Table(title=title, show_lines=False)
    for col in cols:
        table.add_column(col.replace("_", " "), overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in cols))
    console.print(table)


def emit(data: Any, *, as_json: bool, title: str | None = None,
         columns: Sequence[str] | None = None) -> None:
    """JSON when asked, else a table (a list of rows) or a two-column table (a mapping)."""
    if as_json:
        print_json(data)
    elif isinstance(data, Mapping):
        print_table([{"field": k, "value": v} for k, v in data.items()], title=title)
    else:
        print_table(list(data), title=title, columns=columns)


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Any]:
    """A Rich progress bar; yields an ``advance(n)`` callable."""
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                  console=err_console, transient=False) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1, **fields: Any) -> None:
            bar.update(task, advance=n, **fields)

        yield advance


def track(items: Iterable[Any], description: str, total: int | None = None) -> Iterator[Any]:
    """Iterate with a progress bar."""
    with progress(description, total) as advance:
        for item in items:
            yield item
            advance()


@contextmanager
def refusals() -> Iterator[None]:
    """Turn a business refusal (an ``AppError``) into a one-line message on stderr and exit code 2,
    instead of a traceback: the CLI's answer to what the API answers with problem+json."""
    from bayfin.kernel.errors import AppError

    try:
        yield
    except AppError as exc:
        from bayfin.cli.failures import say

        say(exc.message)
        raise typer.Exit(2) from exc
