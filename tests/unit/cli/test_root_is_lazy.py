"""``bayfin --version`` and the root command import no module's CLI, and every module stays mounted."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

from typer.testing import CliRunner

from bayfin import __version__, registry
from bayfin.cli.main import COMMANDS, app

HEAVY = ("sklearn", "lightgbm", "polars", "numpy", "pandas", "pyarrow", "scipy", "sqlalchemy",
         "fastapi", "onnxruntime", "librosa", "ortools", "cvxpy", "cryptography", "alembic")

PROBE = """
import json, sys
from bayfin.cli.main import app
try:
    app(["--version"])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "loaded": sorted(m for m in %r if m in sys.modules),
                  "bayfin": sorted(m for m in sys.modules if m.startswith("bayfin."))}))
"""


def test_version_runs_without_importing_any_heavy_library_or_module_cli():
    done = subprocess.run([sys.executable, "-c", PROBE % (HEAVY,)], capture_output=True, text=True,
                          check=True, timeout=120)
    version, probe = done.stdout.strip().splitlines()
    found = json.loads(probe)
    assert version == __version__ and found["code"] in (0, None)
    assert found["loaded"] == []
    assert not [m for m in found["bayfin"] if m.endswith(".cli") and m != "bayfin.cli"]


def test_the_installed_bayfin_command_answers_version():
    script = sys.executable.rsplit("/", 1)[0] + "/bayfin"
    done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == __version__ and done.stderr == ""


def test_every_module_cli_is_mounted_under_the_name_it_declares():
    mounted = dict(registry.cli_modules())
    assert set(mounted) <= set(COMMANDS)
    for name, module_path in mounted.items():
        module = importlib.import_module(module_path)
        assert getattr(module, "cli_name", module_path.split(".")[1]) == name, module_path
        assert hasattr(module, "app")


def test_each_group_answers_help_once_imported():
    runner = CliRunner()
    for name in ("db", "config", "fraud", "hub", "risk"):
        result = runner.invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
    listing = runner.invoke(app, ["--help"])
    assert listing.exit_code == 0
    assert all(name in listing.output for name in COMMANDS)
