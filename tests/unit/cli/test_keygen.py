"""`bayfin auth keygen` provisions the signing key set production refuses to create by itself."""

from __future__ import annotations

import json
import stat

from typer.testing import CliRunner

from bayfin.cli.main import app
from bayfin.kernel.security import FileKeyStore


def test_keygen_writes_a_private_key_set_once(tmp_path):
    out = tmp_path / "keys" / "jwks.json"
    result = CliRunner().invoke(app, ["auth", "keygen", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    keys = json.loads(out.read_text())["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and "d" in keys[0]
    # production loads it without creating anything
    assert FileKeyStore(out, create=False).signing_key().kid == keys[0]["kid"]
    before = out.read_bytes()
    again = CliRunner().invoke(app, ["auth", "keygen", "--out", str(out)])
    assert again.exit_code == 2 and "refusing" in again.output
    assert out.read_bytes() == before
