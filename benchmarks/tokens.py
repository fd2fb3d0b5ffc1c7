"""Benchmark: payment tokenisation on PostgreSQL.

1. tokenize: a requestor tokenises N distinct card numbers, one transaction each (the bank's account
   check and provisioning decision (in memory), vault lookup, envelope encryption, PAR, a unique
   random token number, the token row, its audit entry and webhook outbox row).
2. detokenize-with-cryptogram: N payments by token as the API makes them since issue 21, in two
   transactions around the bank call: (a) token lookup, controls, cryptogram, the limited-use key's
   conditional use, the payment record (INSERT … ON CONFLICT DO NOTHING on (token, counter)), the
   counter, the detokenize audit entry, COMMIT; (b) decryption and the in-memory bank's authorisation
   under the payment id, no transaction open; (c) the payment's state and the authorize audit entry,
   COMMIT. Each step's latency is printed too.
3. cryptogram verification alone (the keyed MAC, no I/O), and the audit entry's own MAC (the work
   ``AuditLog.record`` does per entry since issue 21: JSON normalisation and an HMAC-SHA-256).
4. Format-preserving encryption for reference: FF1 (``fastfpe``, the token service's optional mode)
   and FF3-1 (``ff3``, withdrawn by NIST's 2025 draft) on a 16-digit number, beside a random token draw.

The risk assessor is the fixed ALLOW (the anti-fraud engine has its own benchmark); no webhook URL is
set, so nothing leaves the process.

    .venv/bin/python benchmarks/tokens.py [--tokens 2000] [--crypto 50000] [--clients 1]
"""

from __future__ import annotations

import argparse
import resource
import secrets
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import create_engine, text

from bayfin import migrations
from bayfin.bootstrap import build_platform
from bayfin.kernel.audit import AuditEntry, entry_key, entry_mac
from bayfin.kernel.clock import utcnow
from bayfin.kernel.db import make_engine
from bayfin.kernel.security import Principal
from bayfin.tokens import domain
from bayfin.tokens.banks import BankAccount, InMemoryBank
from bayfin.tokens.payments import PaymentRequest
from bayfin.tokens.risk import FixedRisk
from bayfin.tokens.wiring import tokens_runtime

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DB = "bayfin_bench_tokens"
URL = f"postgresql://postgres@127.0.0.1:5432/{DB}"
EXPIRES = date(2031, 12, 31)


def fresh_database() -> None:
    admin = create_engine(ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def timed(n: int, op: Callable[[int], object]) -> tuple[float, list[float]]:
    """Run ``op(i)`` n times: (ops per second, per-op latencies in ms)."""
    latencies = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        op(i)
        latencies.append((time.perf_counter() - t0) * 1000)
    return n / (time.perf_counter() - started), latencies


def timed_parallel(n: int, op: Callable[[int], object], clients: int) -> tuple[float, list[float]]:
    """``timed`` with ``clients`` threads sharing the n operations."""
    if clients <= 1:
        return timed(n, op)
    latencies: list[float] = []

    def one(i: int) -> float:
        t0 = time.perf_counter()
        op(i)
        return (time.perf_counter() - t0) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        latencies.extend(pool.map(one, range(n)))
    return n / (time.perf_counter() - started), latencies


def report(name: str, rate: float, latencies: list[float], unit: str = "ms") -> None:
    scale = 1000.0 if unit == "µs" else 1.0
    print(f"  {name:<32} {rate:>10,.0f}/s   p50 {pct(latencies, 0.5) * scale:8.3f} {unit}"
          f"   p99 {pct(latencies, 0.99) * scale:8.3f} {unit}")


def card(i: int) -> str:
    partial = f"62220288{i:010d}"
    return partial + domain.luhn_check_digit(partial)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--crypto", type=int, default=50_000)
    parser.add_argument("--clients", type=int, default=1, help="client threads for the database phases")
    args = parser.parse_args()
    from bayfin.kernel.settings import Settings

    fresh_database()
    settings = Settings(environment="test", database_url=URL, log_level="WARNING",
                        audit_key="bench-audit-key-0123456789abcdef0123456789", audit_seal_interval=0)
    engine = make_engine(URL)
    migrations.upgrade(engine)  # before the platform: the identity wiring reads its key tables
    engine.dispose()
    platform = build_platform(settings)
    runtime = tokens_runtime(platform)
    service = runtime.service
    service.risk = FixedRisk("ALLOW")
    numbers = [card(i) for i in range(args.tokens)]
    service.banks.register("BENCH", InMemoryBank({n: BankAccount(EXPIRES, 10**12, f"holder-{i}")
                                                  for i, n in enumerate(numbers)}))
    operator = Principal(subject="bench", organization_type="operator")
    with platform.unit_of_work() as uow:
        requestor = service.register_requestor(uow.session, operator, name="Bench wallet", kind="wallet",
                                               client_id="bench-wallet", merchants=[], channels=[],
                                               webhook_url=None)
        uow.commit()
    provisioned: dict[int, tuple[str, bytes, str]] = {}

    def tokenize(i: int) -> None:
        holder = Principal(subject=f"holder-{i}", client_id="bench-wallet")
        with platform.unit_of_work() as uow:
            vaulted = service.vault(uow.session, holder, number=numbers[i], expires_on=EXPIRES,
                                    bank_code="BENCH", requestor_id=requestor.id, device_id=f"dev-{i}",
                                    holder=holder.subject)
            done = service.provision(uow.session, holder, requestor, vaulted, device_id=f"dev-{i}")
            uow.commit()
        provisioned[i] = (done.token.number, bytes.fromhex(done.cryptogram_key), holder.subject)

    steps: dict[str, list[float]] = {"record+commit": [], "bank call": [], "answer+commit": []}

    def detokenize(i: int) -> None:
        """What ``TokensRuntime.pay`` does, step by step, timing each."""
        number, key, subject = provisioned[i]
        holder = Principal(subject=subject, client_id="bench-wallet")
        payments = runtime.payments
        with platform.unit_of_work() as uow:
            t0 = time.perf_counter()
            started = payments.start(uow.session, holder, requestor, PaymentRequest(
                token_number=number, amount_fen=1234, merchant_id="M-BENCH", channel="nfc", atc=1,
                device_id=f"dev-{i}", cryptogram=domain.cryptogram(key, number, 1234, "M-BENCH", 1)),
                holder=subject)
            uow.commit()
            t1 = time.perf_counter()
            answer = payments.authorize(started)
            t2 = time.perf_counter()
            payment, queued = payments.finish(uow.session, holder, started.payment.id, answer)
            uow.commit()
            t3 = time.perf_counter()
        for name, ms in zip(steps, ((t1 - t0), (t2 - t1), (t3 - t2)), strict=True):
            steps[name].append(ms * 1000)
        assert payment.state == "approved" and not queued

    print(f"PostgreSQL {DB}; {args.tokens:,} tokens; one transaction per operation, "
          f"{args.clients} client thread(s)")
    report("tokenize", *timed_parallel(args.tokens, tokenize, args.clients))
    report("detokenize-with-cryptogram", *timed_parallel(args.tokens, detokenize, args.clients))
    for name, latencies in steps.items():
        print(f"    step {name:<26} p50 {pct(latencies, 0.5):8.3f} ms   p99 {pct(latencies, 0.99):8.3f} ms")

    key = secrets.token_bytes(32)
    macs = [domain.cryptogram(key, "6299980112345678", i, "M1", i + 1) for i in range(args.crypto)]
    report("cryptogram verification", *timed(args.crypto, lambda i: domain.verify_cryptogram(
        key, "6299980112345678", i, "M1", i + 1, macs[i])), unit="µs")
    mac_key = entry_key(b"bench-audit-key-0123456789abcdef0123456789")
    entry = AuditEntry(at=utcnow(), actor="holder-1", actor_org=None, action="tokens.detokenize",
                       subject_type="payment_token", subject_id="tok_0123456789", outcome="ok",
                       purpose="payment tokenisation", nonce="0" * 32,
                       details={"payment_id": "pay_0123456789", "requestor_id": "10000000001",
                                "merchant_id": "M-BENCH", "channel": "nfc", "amount_fen": 1234, "atc": 1,
                                "par": "BYFN" + "A" * 25, "bank_code": "BENCH"})
    report("audit entry MAC (per entry)", *timed(args.crypto, lambda i: entry_mac(mac_key, entry)), unit="µs")

    bin_range = domain.TokenBinRange("62999801", 16)
    report("random token number draw", *timed(args.crypto, lambda i: domain.new_token_number(
        bin_range, "6222028800000000")), unit="µs")
    from fastfpe import ff1

    ff1_key = secrets.token_hex(32)
    ff1_rate, ff1_lat = timed(args.crypto, lambda i: ff1.encrypt(ff1_key, "", "0123456789",
                                                                 f"{i:016d}"))
    report("FF1 encrypt (fastfpe)", ff1_rate, ff1_lat, unit="µs")
    try:
        from ff3 import FF3Cipher

        cipher = FF3Cipher(secrets.token_hex(32), secrets.token_hex(7))
        ff3_rate, ff3_lat = timed(args.crypto, lambda i: cipher.encrypt(f"{i:016d}"))
        report("FF3-1 encrypt (ff3)", ff3_rate, ff3_lat, unit="µs")
        print(f"  ratio FF1(fastfpe) / FF3-1(ff3)  {ff1_rate / ff3_rate:.1f}x")
    except ImportError:
        print("  FF3-1 (ff3) not installed: pip install -e '.[bench]'")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak memory                      {peak:.0f} MiB")
    platform.dispose()


if __name__ == "__main__":
    main()
