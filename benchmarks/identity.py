"""Identity benchmark: 160,000 users and 300 apps loaded, then
- client-credentials token issuance per second over the HTTP token endpoint (in-process ASGI),
- bearer verification cost per request (bayfin's verifier, cold and warm) beside PyJWT decoding the
  same token, as a ratio,
- login latency p50/p99 over HTTP (POST /oauth2/login: lock-out bookkeeping, Argon2id, audit, session),
with the Argon2 parameters stated.

    .venv/bin/python benchmarks/identity.py                      # PostgreSQL bayfin_bench_identity
    .venv/bin/python benchmarks/identity.py --database sqlite    # embedded SQLite file
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text

from bayfin import migrations
from bayfin.api.app import create_app
from bayfin.bootstrap import build_platform
from bayfin.identity.core.models import App, Organization, Role, RoleAssignment, User
from bayfin.identity.core.passwords import Argon2Parameters, Passwords
from bayfin.identity.core.service import hash_client_secret
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import Settings

PASSWORD = "bench passphrase 2026"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def prepare_database(kind: str, workdir: Path) -> str:
    """A fresh, migrated database of the chosen kind."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "bayfin_bench_identity" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "bayfin_bench_identity"'))
        admin.dispose()
        url = "postgresql://postgres@127.0.0.1:5432/bayfin_bench_identity"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    return url


def bulk_load(url: str, users: int, apps: int, pw_hash: str) -> tuple[float, list[str], dict[str, str]]:
    """Insert organizations, users, apps, roles and role assignments with batched Core inserts.

    Every synthetic user shares one precomputed Argon2id hash (hashing 160,000 passwords would take
    over an hour and measures nothing about the platform); logins still run a full verification."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    engine = make_engine(url)
    orgs = [{"id": "org_operator", "code": "OPERATOR", "name": "Operator", "org_type": "operator",
             "parent_id": None, "created_at": now}]
    for r in range(3):
        orgs.append({"id": f"org_reg{r}", "code": f"REG-{r}", "name": f"Regulator {r}",
                     "org_type": "regulator", "parent_id": None, "created_at": now})
    for b in range(100):
        orgs.append({"id": f"org_bank{b}", "code": f"BANK-{b}", "name": f"Bank {b}",
                     "org_type": "institution", "parent_id": None, "created_at": now})
        for br in range(4):
            orgs.append({"id": f"org_bank{b}_{br}", "code": f"BANK-{b}-{br}", "name": f"Bank {b} branch {br}",
                         "org_type": "institution", "parent_id": f"org_bank{b}", "created_at": now})
    for e in range(1000):
        orgs.append({"id": f"org_ent{e}", "code": f"ENT-{e}", "name": f"Enterprise {e}",
                     "org_type": "enterprise", "parent_id": None, "created_at": now})
    org_ids = [o["id"] for o in orgs]
    secrets_by_client: dict[str, str] = {}
    app_rows, role_rows = [], []
    for a in range(apps):
        service = a < 50
        client_id = f"app{a:03d}"
        secret = f"secret-{a:03d}-" + "x" * 32
        secrets_by_client[client_id] = secret
        app_rows.append({
            "id": f"app_{a:03d}", "client_id": client_id, "name": f"Application {a}",
            "client_type": "confidential", "secret_hash": hash_client_secret(secret),
            "redirect_uris": [] if service else [f"https://app{a}.bank.example/cb"],
            "post_logout_redirect_uris": [],
            "grant_types": ["client_credentials"] if service else ["authorization_code", "refresh_token"],
            "scopes": (["creditdata:query", "reports:read"] if service
                       else ["openid", "profile", "reports:read"]),
            "service_roles": ["institution_system"] if service else [],
            "organization_id": f"org_bank{a % 100}", "first_party": True, "active": True,
            "created_at": now})
        for r, name in enumerate(("viewer", "operator", "admin")):
            role_rows.append({"id": f"rol_{a:03d}_{r}", "app_id": f"app_{a:03d}", "name": name,
                              "permissions": ["reports:read"], "created_at": now})
    with engine.begin() as conn:
        conn.execute(insert(Organization.__table__), orgs)
        conn.execute(insert(App.__table__), app_rows)
        conn.execute(insert(Role.__table__), role_rows)
    names: list[str] = []
    batch = 10_000
    for start in range(0, users, batch):
        rows, assignments = [], []
        for i in range(start, min(users, start + batch)):
            uid = f"usr_{i:07d}"
            names.append(f"user{i:07d}")
            rows.append({"id": uid, "username": f"user{i:07d}", "display_name": f"User {i}",
                         "email": None, "organization_id": org_ids[i % len(org_ids)], "active": True,
                         "password_hash": pw_hash, "external_id": f"hr-{i}", "locale": None,
                         "created_at": now, "updated_at": now})
            for k in range(2):
                assignments.append({"user_id": uid, "role_id": f"rol_{(i * 7 + k * 131) % apps:03d}_{k}"})
        with engine.begin() as conn:
            conn.execute(insert(User.__table__), rows)
            conn.execute(insert(RoleAssignment.__table__), assignments)
    engine.dispose()
    return time.perf_counter() - started, names, secrets_by_client


def concurrent_issuance(platform: Any, clients: list[str], secrets: dict[str, str], total: int,
                        concurrency: int) -> float:
    """Tokens per second from ``concurrency`` HTTP clients against a uvicorn server in this process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    per = max(1, total // concurrency)

    def worker(k: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            for i in range(per):
                cid = clients[(k * per + i) % len(clients)]
                r = http.post("/oauth2/token", data={"grant_type": "client_credentials"},
                              auth=(cid, secrets[cid]))
                assert r.status_code == 200, r.text

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(worker, range(concurrency)))
    rate = per * concurrency / (time.perf_counter() - t0)
    server.should_exit = True
    thread.join(timeout=10)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--users", type=int, default=160_000)
    parser.add_argument("--apps", type=int, default=300)
    parser.add_argument("--tokens", type=int, default=2_000)
    parser.add_argument("--verifications", type=int, default=20_000)
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    argon = Argon2Parameters()
    workdir = Path(tempfile.mkdtemp(prefix="bayfin-bench-identity-"))
    url = prepare_database(args.database, workdir)
    pw_hash = Passwords(argon).hash(PASSWORD)
    load_s, names, client_secrets = bulk_load(url, args.users, args.apps, pw_hash)
    print(f"database: {args.database}; loaded {args.users:,} users (2 roles each), {args.apps} apps, "
          f"1,504 organizations in {load_s:.1f} s ({args.users / load_s:,.0f} users/s)")

    settings = Settings(environment="test", data_dir=workdir, database_url=url, log_level="WARNING",
                        audit_key="bench-audit-key-0123456789abcdef0123456789")
    platform = build_platform(settings)
    client = TestClient(create_app(platform=platform))

    # 1. client-credentials token issuance over HTTP
    service_clients = [f"app{a:03d}" for a in range(min(50, args.apps))]
    for cid in service_clients[:5]:  # warm-up
        client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                    auth=(cid, client_secrets[cid]))
    latencies = []
    t0 = time.perf_counter()
    token = ""
    for n in range(args.tokens):
        cid = service_clients[n % len(service_clients)]
        s = time.perf_counter()
        r = client.post("/oauth2/token", data={"grant_type": "client_credentials",
                                               "scope": "creditdata:query"},
                        auth=(cid, client_secrets[cid]))
        latencies.append((time.perf_counter() - s) * 1000)
        assert r.status_code == 200, r.text
        token = r.json()["access_token"]
    issue_s = time.perf_counter() - t0
    print(f"client-credentials tokens over HTTP: {args.tokens / issue_s:,.0f} tokens/s "
          f"(p50 {pct(latencies, 50):.2f} ms, p99 {pct(latencies, 99):.2f} ms; sequential, one client, "
          "each issue audited)")

    # 1b. the same over a real uvicorn server on loopback with concurrent clients
    concurrent_rate = concurrent_issuance(platform, service_clients, client_secrets, args.tokens,
                                          args.concurrency)
    print(f"client-credentials tokens over loopback HTTP (uvicorn, {args.concurrency} concurrent "
          f"clients): {concurrent_rate:,.0f} tokens/s")

    # 2. bearer verification: bayfin verifier (cold and warm) vs PyJWT on the same token
    verifier = platform.token_verifier
    public_key = platform.tokens.keys.signing_key().as_pem(private=False)
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key_obj = load_pem_public_key(public_key)
    n = args.verifications
    verifier.verify(token)
    t0 = time.perf_counter()
    for _ in range(n):
        verifier.verify(token)
    warm_us = (time.perf_counter() - t0) / n * 1e6
    cache = verifier._cache  # cold path: drop the verified-token cache before every call
    t0 = time.perf_counter()
    for _ in range(n // 4):
        cache.clear()
        verifier.verify(token)
    cold_us = (time.perf_counter() - t0) / (n // 4) * 1e6
    t0 = time.perf_counter()
    for _ in range(n // 4):
        pyjwt.decode(token, key_obj, algorithms=["RS256"], issuer=settings.issuer,
                     options={"require": ["exp", "iss", "sub"]})
    pyjwt_us = (time.perf_counter() - t0) / (n // 4) * 1e6
    print(f"bearer verification per request: bayfin cold {cold_us:.1f} µs (signature + claims + "
          f"revocation sets), warm {warm_us:.2f} µs (verified-token cache + revocation sets); "
          f"PyJWT decode {pyjwt_us:.1f} µs; ratio bayfin-cold/PyJWT {cold_us / pyjwt_us:.2f}, "
          f"bayfin-warm/PyJWT {warm_us / pyjwt_us:.3f}")

    # 3. login latency over HTTP
    page = client.get("/oauth2/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    rng = random.Random(7)
    login_ms = []
    for _ in range(args.logins):
        name = rng.choice(names)
        s = time.perf_counter()
        r = client.post("/oauth2/login", data={"csrf_token": csrf, "username": name,
                                               "password": PASSWORD, "next": "/oauth2/welcome"},
                        follow_redirects=False)
        login_ms.append((time.perf_counter() - s) * 1000)
        assert r.status_code == 303, r.status_code
    print(f"login over HTTP ({argon.describe()}): p50 {pct(login_ms, 50):.1f} ms, "
          f"p99 {pct(login_ms, 99):.1f} ms, mean {statistics.fmean(login_ms):.1f} ms over {args.logins} "
          "logins of random users")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak_mib:,.0f} MiB")
    client.close()
    platform.dispose()
    if args.database == "postgresql":
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "bayfin_bench_identity" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    sys.exit(main())
