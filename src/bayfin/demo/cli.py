"""``bayfin demo …``: generate a demo region, or set everything up and serve it (``make demo``)."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import typer

from bayfin import registry
from bayfin.cli.context import open_platform
from bayfin.cli.output import console, err_console, print_table, progress
from bayfin.creditdata import BatchReport, hub_status, ingest_directory, quarantine_rows
from bayfin.kernel.ingest import ManifestEntry, read_manifest
from bayfin.kernel.settings import get_settings
from bayfin.simulation.creditdata.deliveries import HUB_WRITERS
from bayfin.simulation.creditdata.generate import generate_region

app = typer.Typer(
    help="Demo data: a generated Guangdong region and a one-command demo.", no_args_is_help=True
)


def _generate(out_dir: Path, enterprises: int, seed: int, defect_rate: float) -> dict[str, object]:
    with progress(f"generating {enterprises:,} enterprises", total=len(HUB_WRITERS)) as advance:
        return generate_region(
            out_dir,
            enterprises,
            seed,
            defect_rate=defect_rate,
            on_step=lambda name: advance(1, description=f"wrote {name}"),
        )


@app.command("generate")
def generate(
    out_dir: Path = typer.Argument(..., help="Directory to write the deliveries into."),
    enterprises: int = typer.Option(2000, min=1, help="Number of enterprises."),
    seed: int = typer.Option(7, help="Random seed: the same seed writes byte-identical files."),
    defect_rate: float = typer.Option(0.03, min=0.0, max=0.5, help="Share of malformed rows."),
) -> None:
    """Write a Guangdong region's department deliveries, manifest.json and the hidden ground truth."""
    manifest = _generate(out_dir, enterprises, seed, defect_rate)
    files = manifest["files"]
    assert isinstance(files, list)
    console.print(
        f"[green]wrote[/green] {len(files)} delivery files, {sum(f['rows'] for f in files):,} rows, "
        f"to {out_dir} (ground truth in {out_dir / 'ground_truth'}, not in the manifest)"
    )


def _existing(workdir: Path, enterprises: int, seed: int) -> bool:
    manifest = workdir / "manifest.json"
    if not manifest.is_file():
        return False
    doc = orjson.loads(manifest.read_bytes())
    return bool(doc.get("enterprises") == enterprises and doc.get("seed") == seed)


@app.command("run")
def run(
    enterprises: int = typer.Option(2000, min=10, help="Enterprises in the demo region."),
    seed: int = typer.Option(7, help="Random seed of the region."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the API when set up."),
) -> None:
    """Migrate, generate a small region into var/demo (once), ingest it, seed every module, serve the API."""
    started = time.perf_counter()
    settings = get_settings()
    workdir = settings.data_dir / "demo"
    with open_platform(migrate=True) as platform:
        if not _existing(workdir, enterprises, seed):
            _generate(workdir, enterprises, seed, 0.03)
        entries = read_manifest(workdir)
        with progress("ingesting deliveries", total=len(entries)) as advance:

            def tick(entry: ManifestEntry, _report: BatchReport) -> None:
                advance(1, description=f"ingesting {entry.path.name}")

            ingest_directory(platform, workdir, on_file=tick)
        for seed_demo in registry.demo_seeders():
            seed_demo(platform, workdir, seed)
        with platform.session_factory() as session:
            status = hub_status(session, limit=1)
            sample = quarantine_rows(session, limit=1)
        first_code = _sample_code(workdir)
    totals = status["totals"]
    print_table([{"what": k, "count": v} for k, v in totals.items()], title="credit data hub")
    print_table(
        [{"reason": k, "rows": v} for k, v in status["quarantine_by_reason"].items()],
        title="quarantined rows by reason",
    )
    console.print(f"set up in {time.perf_counter() - started:.1f} s; database {settings.database_url}")
    console.print(
        "\n[bold]Try it[/bold]\n"
        "  TOKEN=$(.venv/bin/bayfin auth dev-token)\n"
        f'  curl -H "Authorization: Bearer $TOKEN" http://{settings.api_host}:{settings.api_port}'
        f"/v1/enterprises/{first_code}\n"
        f"  .venv/bin/bayfin hub show {first_code}\n"
        "  .venv/bin/bayfin hub status\n"
        f"  API docs: http://{settings.api_host}:{settings.api_port}/docs"
    )
    if sample:
        console.print(
            f"  e.g. quarantined: {sample[0]['source']} row {sample[0]['row_number']}: {sample[0]['reason']}"
        )
    users = workdir / "console-users.txt"
    if users.is_file():
        console.print(
            f"\n[bold]Web console[/bold]  {settings.issuer.rstrip('/')}/console  "
            f"(sign in as [bold]operator[/bold] for the dashboard; every demo user and the password: {users})"
        )
    if serve:
        import uvicorn

        err_console.print(f"serving on http://{settings.api_host}:{settings.api_port} (Ctrl-C stops)")
        uvicorn.run(
            "bayfin.api.main:app", host=settings.api_host, port=settings.api_port, log_level="warning"
        )


def _sample_code(workdir: Path) -> str:
    truth = (workdir / "ground_truth" / "enterprises.csv").read_text(encoding="utf-8").splitlines()
    return truth[1].split(",", 1)[0] if len(truth) > 1 else ""
