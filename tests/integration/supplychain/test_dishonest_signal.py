"""A counterparty listed by the courts as a dishonest debtor (from the hub) raises a signal once."""

from datetime import date

import orjson

from bayfin.creditdata.domain import make_credit_code
from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import ingest_file
from bayfin.supplychain import service
from bayfin.supplychain.graph import EdgeKind, EdgeRow, SupplyGraph

C = [make_credit_code("9", "1", "440100", f"{30000000 + i:08d}") for i in range(4)]


def court_case(path, party, kind):
    path.write_bytes(
        orjson.dumps(
            {
                "案号": f"(2024)粤01执{party[-4:]}号",
                "当事人名称": "某某贸易有限公司",
                "当事人统一社会信用代码": party,
                "诉讼地位": "被执行人",
                "案件类型": kind,
                "立案日期": "2024年3月1日",
                "标的金额": "1000.00",
                "案件状态": "执行中",
            }
        )
        + b"\n"
    )
    return path


def test_a_dishonest_supplier_signals_its_buyer_and_a_plain_lawsuit_does_not(session, tmp_path):
    ingest_file(
        session,
        court_case(tmp_path / "a.jsonl", C[1], "失信被执行人"),
        load_mapping("courts"),
        date(2024, 6, 30),
    )
    ingest_file(
        session, court_case(tmp_path / "b.jsonl", C[2], "执行"), load_mapping("courts"), date(2024, 6, 30)
    )
    graph = SupplyGraph()
    graph.add(
        [
            EdgeRow(EdgeKind.invoice, C[1], C[0], "2024-05", 100_00),
            EdgeRow(EdgeKind.invoice, C[2], C[3], "2024-05", 100_00),
        ]
    )
    assert service.dishonest_debtors(session, [C[1], C[2], C[3]]) == {C[1]}
    raised = service.run_signals(session, graph, "2024-06", cores=[])
    assert [(s.kind, s.subject) for s in raised if s.kind == "counterparty_dishonest"] == [
        ("counterparty_dishonest", C[0])
    ]
    assert service.run_signals(session, graph, "2024-06", cores=[]) == []
