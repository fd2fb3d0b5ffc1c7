from datetime import UTC, datetime, timedelta

from bayfin.antifraud.decisions import repository
from bayfin.antifraud.decisions.service import DecisionWriter, decision_row
from bayfin.antifraud.engine.engine import DecisionEngine
from bayfin.antifraud.engine.ruleset import RuleRegistry, load_ruleset
from bayfin.antifraud.lists import repository as list_store
from bayfin.antifraud.service import FraudService
from bayfin.antifraud.settings import FraudSettings
from bayfin.kernel.security import Principal
from bayfin.kernel.tenancy import TenantScope
from tests.antifraud_events import event


def test_the_batched_writer_records_every_decision_once(session_factory):
    engine = DecisionEngine(RuleRegistry(load_ruleset()))
    writer = DecisionWriter(session_factory, batch_size=7, interval=0.05)
    now = datetime.now(UTC)
    coached = {
        "amount_fen": 6_000_000,
        "beneficiary": {"account": "safe", "bank_code": "CCB"},
        "behaviour": {"on_call": True, "screen_sharing": True},
    }
    for n in range(40):
        writer.submit(
            decision_row(engine.decide(event(n, **(coached if n % 10 == 0 else {}))), "bank-1", now)
        )
    writer.submit(decision_row(engine.decide(event(0)), "bank-1", now))  # a repeat is not recorded twice
    writer.close()
    with session_factory() as session:
        assert repository.count_decisions(session) == 40
        rows = {
            r["group"]: r
            for r in repository.totals(
                session, by="typology", since=None, until=None,
                scope=TenantScope.of(Principal("ana", "bank-1", "institution"))
            )
        }
        assert rows["telecom_scam"]["blocked"] == 4
        assert rows["telecom_scam"]["amount_protected_fen"] == 4 * 6_000_000
        assert (
            repository.totals(
                session, by="channel", since=now + timedelta(days=1), until=None,
                scope=TenantScope.system("test")
            )
            == []
        )


def test_list_entries_survive_in_the_database_and_expire(session_factory):
    service = FraudService.build(FraudSettings(), session_factory)
    with session_factory() as session:
        service.add_list_entry(
            session,
            TenantScope.system("analyst-1"),
            kind="block",
            entity_type="ip",
            value="6.6.6.6",
            reason="botnet",
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        )
        service.add_list_entry(
            session,
            TenantScope.system("analyst-1"),
            kind="watch",
            entity_type="device",
            value="dev-9",
            reason="shared",
            expires_at=None,
        )
        session.commit()
    fresh = FraudService.build(FraudSettings(), session_factory)  # another worker reading the lists
    assert fresh.refresh_lists() == 2
    blocked = fresh.decide(event(1, network={"ip": "6.6.6.6"}))
    assert blocked.outcome.name == "BLOCK"
    with session_factory() as session:
        later = datetime.now(UTC) + timedelta(hours=2)
        entries = list_store.active_list_entries(session, later, TenantScope.system("t"))
        assert [e.value for e in entries] == ["dev-9"]


def test_the_demo_seeder_records_a_decided_simulation(platform, tmp_path):
    from bayfin.antifraud.decisions import repository
    from bayfin.antifraud.demo import seed_demo

    result = seed_demo(platform, tmp_path, seed=1)
    with platform.session_factory() as session:
        assert repository.count_decisions(session) == result["decisions"] == result["events"]
    assert result["fraud_caught"] > 0


def test_serving_mode_records_in_batches_and_picks_up_lists_written_by_others(tmp_path):
    import time

    from bayfin import migrations
    from bayfin.antifraud.models import FraudListEntry
    from bayfin.kernel.db import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'serve.db'}")
    migrations.upgrade(engine)
    factory = make_session_factory(engine)
    service = FraudService.build(FraudSettings(write_mode="batched", lists_refresh_seconds=0.05), factory)
    try:
        assert service.decide(event(1)).outcome.name == "ALLOW"
        with factory() as session:  # another worker blocks the device
            session.add(FraudListEntry(kind="block", entity_type="device", value="phone-1", reason="r",
                                       created_at=datetime.now(UTC), created_by="analyst", expires_at=None))
            session.commit()
        deadline = time.monotonic() + 5
        while not len(service.engine.lists) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert service.decide(event(2)).outcome.name == "BLOCK"
    finally:
        service.close()
    with factory() as session:
        assert repository.count_decisions(session) == 2
    engine.dispose()


def test_an_event_id_is_recorded_once_per_institution_and_once_for_the_platforms_own_stream(session):
    engine = DecisionEngine(RuleRegistry(load_ruleset()))
    now = datetime.now(UTC)
    decision = engine.decide(event(1))
    for owner in ("bank-1", "bank-2", None, "bank-1", None):
        repository.insert_decisions(session, [decision_row(decision, owner, now)])
    assert repository.count_decisions(session) == 3
    for owner in ("bank-1", "bank-2", None):
        found = repository.recorded_decision(session, decision.event_id, owner)
        assert found is not None and found.institution_id == owner
    assert repository.recorded_decision(session, decision.event_id, "bank-3") is None
    head_office = TenantScope(actor="hq", organization="bank-2", organization_type="institution",
                              organizations=frozenset({"bank-1", "bank-2"}))
    seen = repository.get_decision(session, decision.event_id, head_office)
    assert seen is not None and seen.institution_id == "bank-2"  # its own first, then its branch's
