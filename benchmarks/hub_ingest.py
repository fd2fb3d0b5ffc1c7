"""Benchmark: ingest a generated Guangdong region into the credit data hub, SQLite and PostgreSQL, against
the naive pandas load (``read_*`` + ``DataFrame.to_sql``, no validation) of the same files.

    .venv/bin/python benchmarks/hub_ingest.py --enterprises 800000

The region is cached under var/bench/. Each load runs in its own child process so that its peak
memory (max RSS) is its own. PostgreSQL uses the database ``bayfin_bench_hub`` (and
``bayfin_bench_hub_pandas`` for the naive load) on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_BASE = "postgresql://postgres@127.0.0.1:5432/"


def _recreate_database(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(
        ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_BASE + name


def phase_hub(region: Path, url: str) -> dict[str, object]:
    """Validate and load every delivery through the hub (one transaction per file)."""
    from bayfin import migrations
    from bayfin.bootstrap import build_platform
    from bayfin.creditdata.workflows import ingest_directory
    from bayfin.kernel.settings import Settings

    platform = build_platform(Settings(database_url=url, data_dir=Path("var/bench")))
    migrations.upgrade(platform.engine)
    started = time.perf_counter()
    reports = ingest_directory(platform, region)
    seconds = time.perf_counter() - started
    platform.dispose()
    assert all(r.counts.reconciles for r in reports)
    rows = sum(r.counts.rows_in for r in reports)
    quarantined = sum(r.counts.quarantined for r in reports)
    return {"rows": rows, "seconds": seconds, "quarantined": quarantined}


def phase_pandas(region: Path, url: str) -> dict[str, object]:
    """What a user would otherwise write: read each file with pandas, append it with to_sql."""
    import pandas as pd
    from sqlalchemy import create_engine

    from bayfin.creditdata.mapping import load_mapping

    manifest = json.loads((region / "manifest.json").read_text())
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    started = time.perf_counter()
    rows = 0
    for entry in manifest["files"]:
        path = region / entry["path"]
        mapping = load_mapping(entry["source"])
        if mapping.format == "csv":
            encoding = "gbk" if mapping.encoding == "gbk" else "utf-8-sig"
            frame = pd.read_csv(
                path, dtype=str, encoding=encoding, encoding_errors="replace", on_bad_lines="skip"
            )
        elif mapping.format == "jsonl":
            with path.open(encoding="utf-8") as fh:
                records = []
                for line in fh:
                    try:
                        records.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue
            frame = pd.DataFrame.from_records(records).astype(str)
        elif mapping.format == "xml":
            frame = pd.read_xml(path, xpath=f"./{mapping.xml_record}", parser="etree", dtype=str)
        else:
            frame = pd.read_excel(path, dtype=str, engine="openpyxl")
        frame.to_sql(f"naive_{entry['source']}", engine, if_exists="append", index=False, chunksize=10_000)
        rows += len(frame)
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"rows": rows, "seconds": seconds}


def run_child(phase: str, region: Path, url: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--region", str(region), "--url", url],
        check=False,
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise SystemExit(f"{phase} load failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enterprises", type=int, default=800_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip", action="append", default=[], choices=["sqlite", "postgresql", "pandas"])
    parser.add_argument("--phase", choices=["hub", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--region", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        result = (phase_hub if args.phase == "hub" else phase_pandas)(Path(args.region), args.url)
        result["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    region = Path("var/bench") / f"hub_region_{args.enterprises}_{args.seed}"
    if not (region / "manifest.json").is_file():
        from bayfin.simulation.creditdata.generate import generate_region

        started = time.perf_counter()
        manifest = generate_region(region, args.enterprises, args.seed)
        print(
            f"generated {args.enterprises:,} enterprises, {len(manifest['files'])} files, "
            f"{sum(f['rows'] for f in manifest['files']):,} rows in {time.perf_counter() - started:.0f} s"
        )
    size = sum(p.stat().st_size for p in region.rglob("*") if p.is_file()) / 2**20
    print(f"region {region} ({size:,.0f} MiB)")
    results: dict[str, dict[str, object]] = {}
    if "sqlite" not in args.skip:
        db = Path("var/bench/hub_bench.db")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        results["hub → SQLite"] = run_child("hub", region, f"sqlite:///{db}")
    if "postgresql" not in args.skip:
        results["hub → PostgreSQL"] = run_child("hub", region, _recreate_database("bayfin_bench_hub"))
    if "pandas" not in args.skip:
        results["pandas read_* + to_sql → PostgreSQL (no validation)"] = run_child(
            "pandas", region, _recreate_database("bayfin_bench_hub_pandas")
        )
    naive = results.get("pandas read_* + to_sql → PostgreSQL (no validation)")
    print(f"\n{'load':<55} {'rows':>11} {'seconds':>9} {'rows/s':>10} {'peak MiB':>9} {'× pandas':>9}")
    for name, r in results.items():
        rate = float(r["rows"]) / float(r["seconds"])  # type: ignore[arg-type]
        ratio = (float(naive["seconds"]) / float(r["seconds"])) if naive else float("nan")  # type: ignore[arg-type]
        print(
            f"{name:<55} {r['rows']:>11,} {float(r['seconds']):>9.1f} {rate:>10,.0f} "  # type: ignore[arg-type]
            f"{float(r['peak_mib']):>9,.0f} {ratio:>9.2f}"
        )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
