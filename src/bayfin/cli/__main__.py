"""``python -m bayfin.cli``: the ``bayfin`` command where the console script is not on PATH."""

from bayfin.cli.main import app

app(prog_name="bayfin")
