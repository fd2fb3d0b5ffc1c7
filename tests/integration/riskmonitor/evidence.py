"""Small hand-written risk deliveries over hub-registered test firms."""

from datetime import date
from pathlib import Path

import orjson

from bayfin.creditdata.mapping import load_mapping
from bayfin.creditdata.service import ingest_file
from bayfin.riskmonitor.classifier import RiskTextClassifier, train_classifier
from bayfin.riskmonitor.service import RiskMonitor
from tests.integration.creditdata.deliveries import REG_HEADER, code, reg_line, write

_MODEL: list[RiskTextClassifier] = []

RISKY = "鑫源泰投资"
RISKY_NAME = "广州鑫源泰投资咨询有限公司"
PHONE = "13912345678"


def monitor() -> RiskMonitor:
    """A monitor with a small classifier trained once per test process."""
    if not _MODEL:
        _MODEL.append(train_classifier(seed=3, per_category=60))
    return RiskMonitor(classifier=_MODEL[0])


def register_firms(session, tmp_path: Path) -> None:
    """Hub registrations: firm 1 the risky one, 2 shares its legal representative, 3 and 4 ordinary."""
    lines = [
        reg_line(1, name=RISKY_NAME),
        reg_line(2, name="广州华信达贸易有限公司").replace("张2", "张1"),
        reg_line(3, name="广州宏盛电器有限公司"),
        reg_line(4, name="广州恒泰物流有限公司"),
    ]
    ingest_file(
        session,
        write(tmp_path / "reg.csv", REG_HEADER, lines),
        load_mapping("amr_registration"),
        date(2023, 1, 10),
    )


def web_file(tmp_path: Path) -> Path:
    """Internet monitoring: the risky firm's filed site, an unfiled page, and a broken line."""
    rows = [
        {"site": "https://a.example.cn", "kind": "app", "icp_credit_code": code(1), "operator_name": RISKY_NAME,  # noqa: E501
         "title": "鑫源泰", "text": f"保本保息，年化收益24%，推荐好友返佣10%，USDT兑换，联系电话{PHONE}",
         "captured_on": "2024-05-02", "daily_visits": 12000},
        {"site": "https://b.example.cn", "kind": "website", "icp_credit_code": "", "operator_name": "广州宏盛电器有限公司",  # noqa: E501
         "title": "宏盛电器", "text": "新品上市欢迎选购，全场包邮", "captured_on": "2024-05-03", "daily_visits": 300},  # noqa: E501
        {"site": "https://c.example.cn", "kind": "website", "icp_credit_code": "", "captured_on": "2024-05-03"},  # noqa: E501
    ]  # fmt: skip
    path = tmp_path / "web.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps(r) for r in rows] + [b'{"site": "x", "text": ']) + b"\n")
    return path


def hotline_file(tmp_path: Path, extra: int = 0) -> Path:
    """Hotline tickets naming the firm imprecisely (short name, typo, phone only), an unknown shop, a bad date."""  # noqa: E501
    rows = [
        f"RX1,2024-05-10,440100,{RISKY},市民反映在{RISKY}投了20万元，说是保本保息，现在无法提现",
        "RX2,2024-05-11,440100,鑫原泰投资,市民反映鑫原泰投资承诺月息2%，老板失联",
        f"RX3,2024-05-12,440100,一家公司，电话{PHONE},市民反映对方拉人头返佣",
        "RX4,2024-05-12,440100,路边投资店,市民反映路边投资店承诺高额回报",
        "RX5,2024-13-40,440100,某公司,日期错误",
    ]
    rows += [f"RX{9 + i},2024-05-2{i % 9},440100,{RISKY},又一位市民反映{RISKY}无法提现" for i in range(extra)]
    return write(
        tmp_path / f"hotline{extra}.csv", "工单号,来电日期,来电区域,被反映对象,诉求内容", rows, "utf-8"
    )


def police_file(tmp_path: Path) -> Path:
    """A police case report in GBK naming the firm in full."""
    rows = [
        f"GA1,2024/05/20,{RISKY_NAME},非法集资,报案人称被诱导投资承诺高额回报，现无法提现，涉及120人,860,120,440100"
    ]
    header = "案件编号,报案日期,涉案主体,案由,简要案情,涉案金额(万元),受害人数,辖区"
    return write(tmp_path / "police.csv", header, rows, "gbk")


def licence_file(tmp_path: Path) -> Path:
    """The licence register: firm 3 holds a securities licence; one row has a broken code."""
    rows = [
        f"{code(3)},广州宏盛电器有限公司,证券,JR00000001,2030-12-31",
        "BADCODE,某公司,支付,JR00000002,2030-12-31",
    ]
    return write(
        tmp_path / "licences.csv", "统一社会信用代码,机构名称,许可类型,许可证号,有效期至", rows, "utf-8"
    )
