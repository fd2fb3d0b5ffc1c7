"""Benchmark: the web console's server time per main page on the demo data (``bayfin demo run``'s
generated region: 2,000 enterprises, risk deliveries, a simulated anti-fraud stream).

    .venv/bin/python benchmarks/console.py                     # sets up var/bench/console once
    .venv/bin/python benchmarks/console.py --requests 100

The pages are requested in-process through the ASGI app (Starlette's TestClient, no network hop), each
role signed in with a session carrying the access token the identity platform would issue that demo
user (its organization, roles and permissions in the ``bayfin-console`` app). The officer's consent is
requested and approved through the console's own forms first, so the report page does real consent
checks and audit writes. Server time = the request's wall time in this process. No peer library: the
figure to compare with is the issue's 200 ms budget.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bayfin.identity import IDENTITY

DATA_DIR = Path("var/bench/console")


def _setup(data_dir: Path, enterprises: int) -> None:
    if (data_dir / "demo" / "console-users.txt").is_file():
        return
    env = {**os.environ, "BAYFIN_DATA_DIR": str(data_dir)}
    subprocess.run([str(Path(sys.executable).parent / "bayfin"), "demo", "run", "--no-serve",
                    "--enterprises", str(enterprises)], check=True, env=env)


def _session_cookie(platform: Any, username: str) -> str:
    """A console session for a demo user, with the token the identity platform issues them."""
    from bayfin.identity.core import repository as identity_repo
    from bayfin.identity.core.models import Organization
    from bayfin.kernel.security import Principal
    from bayfin.web.session import ConsoleSession, seal
    from bayfin.web.wiring import CLIENT_ID, SCOPES, WEB

    ident = platform.service(IDENTITY)
    with platform.session_factory() as s:
        user = identity_repo.user_by_username(s, username)
        app = identity_repo.app_by_client_id(s, CLIENT_ID)
        org = s.get(Organization, user.organization_id)
        roles, permissions = ident.service.roles_and_permissions(s, user.id, app.id)
    scopes = {sc for sc in SCOPES if sc in ("openid", "profile") or sc in permissions}
    token = platform.tokens.issue(Principal(subject=user.id, organization_id=org.code,
                                            organization_type=org.org_type, roles=frozenset(roles),
                                            scopes=frozenset(scopes), client_id=CLIENT_ID))
    now = int(time.time())
    session = ConsoleSession(sid=f"bench-{username}", access_token=token, id_token="", refresh_token=None,
                             name=username, expires_at=now + 3600, started_at=now)
    return seal(platform.service(WEB), "session", session.__dict__)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def main() -> None:
    """Set up the demo data once, then time each main page."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=DATA_DIR)
    parser.add_argument("--enterprises", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    args = parser.parse_args()
    data_dir = args.data_dir.resolve()
    _setup(data_dir, args.enterprises)
    os.environ["BAYFIN_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("BAYFIN_LOG_LEVEL", "WARNING")

    from fastapi.testclient import TestClient

    from bayfin.api.app import create_app
    from bayfin.bootstrap import build_platform
    from bayfin.kernel.settings import Settings
    from bayfin.riskmonitor import repository as risk_repo
    from bayfin.web.session import SESSION_COOKIE

    platform = build_platform(Settings())
    firm_line = (data_dir / "demo" / "console-users.txt").read_text().splitlines()[-1]
    firm_code = firm_line.split()[1]
    with platform.session_factory() as s:
        scores = risk_repo.latest_scores(s)
    riskiest = max(scores.values(), key=lambda x: x.score).credit_code if scores else firm_code
    clients: dict[str, TestClient] = {}
    app = create_app(platform=platform)
    # Enter the app's lifespan once, as uvicorn does (its start-up freezes the start-up heap out of
    # the garbage collector's reach); the other clients share the started app.
    TestClient(app).__enter__()
    for user in ("operator", "firm", "officer", "analyst"):
        c = TestClient(app)
        c.cookies.set(SESSION_COOKIE, _session_cookie(platform, user), path="/console")
        clients[user] = c
    officer, firm = clients["officer"], clients["firm"]
    form = officer.get(f"/console/credit/consents/new?credit_code={firm_code}")
    officer.post("/console/credit/consents", data={
        "csrf_token": _csrf(form.text), "credit_code": firm_code, "purpose_code": "102",
        "purpose_text": "benchmark", "categories": ["registration", "tax", "social_security", "courts"],
        "access_mode": "periodic", "frequency": "1000", "data_from": "2022-01-01",
        "data_to": time.strftime("%Y-%m-%d"), "validity_days": "30"})
    listing = firm.get("/console/firm/consents").text
    consent_id = re.findall(r'/console/firm/consents/(cst_[A-Z0-9]+)/approve', listing)[-1]
    firm.post(f"/console/firm/consents/{consent_id}/approve", data={
        "csrf_token": _csrf(listing), "categories": ["registration", "tax", "social_security", "courts"]})
    pages = [
        ("operator", "/console/dashboard"), ("operator", "/console/hub"), ("operator", "/console/audit"),
        ("operator", "/console/fraud"), ("operator", "/console/terminals"),
        ("firm", "/console/firm"), ("firm", "/console/firm/consents"), ("firm", "/console/firm/access-log"),
        ("officer", f"/console/credit/search?q={firm_code}"), ("officer", "/console/credit/search?q=科技"),
        ("officer", "/console/credit/consents"),
        ("officer", f"/console/credit/report/{firm_code}?consent_id={consent_id}"),
        ("analyst", "/console/risk"), ("analyst", f"/console/risk/firms/{riskiest}"),
        ("firm", "/console/financing/demands"), ("firm", "/console/financing/applications"),
        ("officer", "/console/financing/products"), ("officer", "/console/financing/leads"),
        ("officer", "/console/financing/queue"),
    ]
    print(f"demo data: {data_dir} ({args.enterprises:,} enterprises); {args.requests} timed requests per "
          "page after 3 warm-up; in-process ASGI; shared 2-core machine")
    print(f"{'page':58} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  status")
    worst = 0.0
    for user, path in pages:
        c = clients[user]
        for _ in range(3):
            c.get(path)
        times, status = [], 0
        for _ in range(args.requests):
            started = time.perf_counter()
            r = c.get(path)
            times.append((time.perf_counter() - started) * 1000)
            status = r.status_code
        times.sort()
        p50 = statistics.median(times)
        p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
        worst = max(worst, p99)
        print(f"{user + ' ' + path[:50]:58} {p50:8.1f} {p99:8.1f} {times[-1]:8.1f}  {status}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"worst p99 {worst:.1f} ms (budget 200 ms); peak RSS {peak:.0f} MiB")
    platform.dispose()


if __name__ == "__main__":
    main()
