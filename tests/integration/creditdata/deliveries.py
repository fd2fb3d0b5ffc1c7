"""Small hand-written delivery files for the hub's integration tests."""

from pathlib import Path

from bayfin.creditdata.domain import make_credit_code

REG_HEADER = "统一社会信用代码,企业名称,法定代表人,注册资本(万元),成立日期,行业代码,所在地市,住所,登记状态"
TAX_REGION_HEADER = (
    "统一社会信用代码,企业名称,税款所属期,信用等级代码,"
    + ",".join(f"纳税额{i}" for i in range(1, 7))
    + ","
    + ",".join(f"销售额{i}" for i in range(1, 7))
    + ",欠税"
)


def code(n: int, city: str = "440100") -> str:
    """The n-th test enterprise's credit code."""
    return make_credit_code("9", "1", city, f"{n:08d}")


def reg_line(
    n: int, name: str | None = None, capital: str = "100", status: str = "存续", city: str = "广州市"
) -> str:
    """A registration row for test enterprise n."""
    name = name or f"广州测试{n}有限公司"
    return f"{code(n)},{name},张{n},{capital},2019年3月5日,C39,{city},天河路{n}号,{status}"


def write(path: Path, header: str, lines: list[str], encoding: str = "utf-8-sig") -> Path:
    """Write a CSV delivery."""
    path.write_bytes(("\n".join([header, *lines]) + "\n").encode(encoding))
    return path


def tax_line(ident: str, name: str = "", period: str = "2024年1月", paid: str = "1.5") -> str:
    """A tax_region row (amounts in 万元) keyed by credit code, or by name when ``ident`` is empty."""
    return ",".join([ident, name, period, "1", paid, *["0"] * 11, "0"])
