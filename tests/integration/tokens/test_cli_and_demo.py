"""The demo seeder and ``bayfin tokens`` against a migrated SQLite database: requestors, key status,
and an online master-key rotation driven from the command line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bayfin import migrations
from bayfin.bootstrap import build_platform
from bayfin.cli.main import app
from bayfin.kernel.db import make_engine
from bayfin.kernel.settings import get_settings
from bayfin.tokens.demo import seed_demo
from bayfin.tokens.vault import derive_key


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    migrations.upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("BAYFIN_DATABASE_URL", url)
    monkeypatch.setenv("BAYFIN_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _json(runner: CliRunner, *args: str) -> object:
    result = runner.invoke(app, ["tokens", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _seed(tmp_path: Path) -> dict[str, object]:
    platform = build_platform(get_settings())
    try:
        return seed_demo(platform, tmp_path, 7)
    finally:
        platform.dispose()


def test_the_demo_binds_two_banks_and_pays_once_and_a_rerun_changes_nothing(cli_env: CliRunner,
                                                                              tmp_path: Path) -> None:
    assert _seed(tmp_path) == {"banks": 2, "accounts": 2, "payments": 1}
    assert _seed(tmp_path) == {"banks": 2, "accounts": 2, "payments": 0}
    requestors = _json(cli_env, "requestors", "list")
    assert isinstance(requestors, list) and [r["client_id"] for r in requestors] == ["demo-wallet"]


def test_the_cli_rotates_the_master_key_in_batches_and_the_vault_stays_readable(
        cli_env: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _seed(tmp_path)
    assert _json(cli_env, "keys", "status") == [
        {"master_key": "dev1", "active": True, "records": 2, "in_ring": True}]
    old = derive_key(get_settings().audit_key.get_secret_value().encode(), "master.dev1").hex()
    monkeypatch.setenv("BAYFIN_TOKENS_MASTER_KEYS", f"dev1:{old},k2:{'ab' * 32}")
    monkeypatch.setenv("BAYFIN_TOKENS_ACTIVE_MASTER_KEY", "k2")
    assert _json(cli_env, "keys", "rotate", "--batch", "1") == {"rewrapped": 2, "active_master_key": "k2"}
    monkeypatch.setenv("BAYFIN_TOKENS_MASTER_KEYS", f"k2:{'ab' * 32}")  # the old key is retired
    assert _json(cli_env, "keys", "status") == [{"master_key": "k2", "active": True, "records": 2,
                                                  "in_ring": True}]
    platform = build_platform(get_settings())
    try:
        from sqlalchemy import select

        from bayfin.tokens.models import Account
        from bayfin.tokens.wiring import tokens_runtime

        service = tokens_runtime(platform).service
        with platform.unit_of_work() as uow:
            numbers = [service._open(a) for a in uow.session.scalars(select(Account))]
        assert sorted(n[:8] for n in numbers) == ["62166100", "62258800"]
    finally:
        platform.dispose()


def test_registering_a_requestor_from_the_cli_prints_its_id_and_secret(cli_env: CliRunner) -> None:
    created = _json(cli_env, "requestors", "add", "--name", "Pay Co", "--client-id", "payco",
                    "--kind", "payment_institution", "--channel", "qr")
    assert isinstance(created, dict) and len(created["id"]) == 11
    assert created["webhook_secret"].startswith("whsec_")  # the Standard Webhooks form
    bad = cli_env.invoke(app, ["tokens", "requestors", "add", "--name", "X", "--client-id", "x",
                               "--kind", "bank"])
    assert bad.exit_code == 2


def test_the_outbox_worker_reverses_a_payment_whose_process_died_mid_call(
        cli_env: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    """``bayfin tokens payments work --once`` against a bank over HTTP: a payment left waiting for its
    issuer (the process died after the bank debited) is reversed, and the bank's ledger nets to zero."""
    from datetime import date, timedelta

    from sqlalchemy import update

    from bayfin.kernel.security import Principal
    from bayfin.tokens import domain
    from bayfin.tokens.banks import BankAccount, InMemoryBank
    from bayfin.tokens.models import TokenPayment
    from bayfin.tokens.payments import PaymentRequest
    from bayfin.tokens.testbank import Faults
    from bayfin.tokens.wiring import tokens_runtime
    from tests.api.tokens.test_payment_faults import BankServer, _free_port

    number = "6217009900000000006"
    bank = BankServer(InMemoryBank({number: BankAccount(date(2031, 1, 31), 50_000, "dora")}), Faults(),
                      _free_port())
    bank.start()
    monkeypatch.setenv("BAYFIN_TOKENS_BANKS", f"BANKF={bank.url}")
    monkeypatch.setenv("BAYFIN_TOKENS_STALE_AFTER_SECONDS", "10")
    platform = build_platform(get_settings())
    try:
        runtime = tokens_runtime(platform)
        dora = Principal(subject="dora", organization_type="person", client_id="w",
                         scopes=frozenset({"wallet"}))
        with platform.unit_of_work() as uow:
            runtime.service.register_requestor(uow.session, Principal(subject="ops"), name="W", kind="wallet",
                                               client_id="w", merchants=[], channels=[], webhook_url=None)
            done = runtime.wallet.bind(uow.session, dora, bank_code="BANKF", number=number,
                                       expires_on=date(2031, 1, 31), device_id="phone")
            uow.commit()
        key = bytes.fromhex(done.cryptogram_key)
        with platform.unit_of_work() as uow:
            requestor = runtime.service.requestor_of(uow.session, dora)
            started = runtime.payments.start(uow.session, dora, requestor, PaymentRequest(
                token_number=done.token.number, amount_fen=3_000, merchant_id="M", channel="nfc", atc=1,
                cryptogram=domain.cryptogram(key, done.token.number, 3_000, "M", 1), device_id="phone"),
                holder="dora")
            uow.commit()
        runtime.payments.authorize(started)  # debited; then the process "dies"
        with platform.unit_of_work() as uow:
            uow.session.execute(update(TokenPayment).values(
                updated_at=platform.clock.now() - timedelta(minutes=5)))
            uow.commit()
    finally:
        platform.dispose()
    assert bank.bank.net_debit(started.payment.id) == 3_000
    try:
        assert _json(cli_env, "payments", "work", "--once") == {"acknowledged": 1, "still_owed": 0}
        assert _json(cli_env, "payments", "work", "--once") == {"acknowledged": 0, "still_owed": 0}
    finally:
        bank.stop()
    assert bank.bank.net_debit(started.payment.id) == 0
