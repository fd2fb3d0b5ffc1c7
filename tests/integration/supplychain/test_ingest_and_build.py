"""Graph deliveries of a generated region: ingested without loss, planted structure found exactly."""

from datetime import date

import orjson
import pytest
from sqlalchemy import func, select

from bayfin.simulation.creditdata import build_population
from bayfin.simulation.supplychain.deliveries import TRUTH_FILE, write_region_graph
from bayfin.supplychain import service
from bayfin.supplychain.graph import EdgeKind, association_groups, circular_trading, guarantee_circles
from bayfin.supplychain.ingest import ingest_graph_file
from bayfin.supplychain.models import GraphEdge, GraphQuarantine, GraphSignal

ENTERPRISES = 1200


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("graph-region")
    write_region_graph(out, build_population(ENTERPRISES, 11), 11)
    return out


def rotations(cycles):
    out = set()
    for c in cycles:
        k = c.index(min(c))
        out.add(tuple(c[k:] + c[:k]))
    return out


def test_every_row_is_stored_or_quarantined_with_its_reason_and_a_second_ingest_is_a_no_op(session, region):
    reports = service.ingest_directory(session, region)
    assert reports and all(r.reconciles for r in reports)
    quarantined = sum(r.quarantined for r in reports)
    assert quarantined > 0
    assert session.scalar(select(func.count()).select_from(GraphQuarantine)) == quarantined
    reasons = set(session.scalars(select(GraphQuarantine.reason).distinct()))
    assert {"duplicate_in_batch", "invalid_credit_code", "malformed_row"} <= reasons
    edges = session.scalar(select(func.count()).select_from(GraphEdge))
    again = service.ingest_directory(session, region)
    assert all(r.already_ingested for r in again)
    assert session.scalar(select(func.count()).select_from(GraphEdge)) == edges


def test_the_planted_circles_rings_and_groups_are_found_exactly_and_nothing_else(session, region):
    service.ingest_directory(session, region)
    graph = service.build_graph(session)
    truth = orjson.loads((region / TRUTH_FILE).read_bytes())
    assert {c.firms for c in guarantee_circles(graph)} == rotations(truth["guarantee_circles"])
    assert {r.firms for r in circular_trading(graph)} == rotations(truth["fake_invoice_rings"])
    assert {g.members for g in association_groups(graph)} == {tuple(sorted(g)) for g in truth["groups"]}


def test_a_corrected_month_updates_its_edge_and_the_graph_incrementally(session, region, tmp_path):
    cache = service.GraphCache()
    service.ingest_directory(session, region)
    graph = cache.refresh(session)
    seller, buyer, month, amount = session.execute(
        select(GraphEdge.source, GraphEdge.target, GraphEdge.month, GraphEdge.amount_fen)
        .where(GraphEdge.kind == "invoice").order_by(GraphEdge.id).limit(1)).one()
    before = graph.link(EdgeKind.invoice, seller, buyer).amount_fen
    fix = tmp_path / "correction.csv"
    fix.write_text("销方统一社会信用代码,购方统一社会信用代码,开票月份,价税合计(元),发票份数\n"
                   f"{seller},{buyer},{month},{(amount + 12_345) // 100}.{(amount + 12_345) % 100:02d},3\n"
                   f"{seller},{seller},{month},1.00,1\n", encoding="utf-8")
    report, changed = ingest_graph_file(session, fix, "graph_invoices", date(2025, 3, 1))
    assert (report.rows_in, report.updated, report.quarantined, report.reasons) == (2, 1, 1, {"self_loop": 1})
    assert len(changed) == 1
    graph = cache.refresh(session)
    assert graph.link(EdgeKind.invoice, seller, buyer).amount_fen == before + 12_345


def test_signals_are_raised_once(session, region):
    service.ingest_directory(session, region)
    graph = service.build_graph(session)
    first = service.run_signals(session, graph, "2024-12", dishonest=set())
    kinds = {s.kind for s in first}
    assert "new_guarantee_circle" in kinds
    assert session.scalar(select(func.count()).select_from(GraphSignal)) == len(first)
    assert service.run_signals(session, graph, "2024-12", dishonest=set()) == []
