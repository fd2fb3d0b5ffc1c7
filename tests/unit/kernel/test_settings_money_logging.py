from decimal import Decimal

import pytest

from bayfin.kernel.logging import mask
from bayfin.kernel.money import fen_to_yuan, to_fen
from bayfin.kernel.settings import Settings


def test_development_defaults_to_an_sqlite_file_under_the_data_dir(tmp_path):
    s = Settings(data_dir=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'bayfin.db'}"
    assert s.is_sqlite


def test_production_refuses_sqlite_and_the_development_audit_key():
    with pytest.raises(ValueError, match="insecure production settings") as err:
        Settings(environment="production")
    assert "BAYFIN_DATABASE_URL" in str(err.value) and "BAYFIN_AUDIT_KEY" in str(err.value)


def test_production_accepts_a_complete_configuration():
    s = Settings(environment="production", database_url="postgresql://db/bayfin",
                 audit_key="x" * 40, issuer="https://id.example.cn")
    assert not s.is_sqlite


@pytest.mark.parametrize(("amount", "unit", "fen"), [
    ("12.34", "元", 1234), ("1,000", "元", 100000), ("1.5", "万元", 1500000), ("0.005", "元", 1),
    (Decimal("3"), "亿元", 30000000000), (7, "分", 7),
])
def test_amounts_in_any_unit_become_integer_fen(amount, unit, fen):
    assert to_fen(amount, unit) == fen


def test_money_refuses_floats_and_garbage():
    with pytest.raises(TypeError):
        to_fen(1.1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        to_fen("abc")
    with pytest.raises(ValueError):
        to_fen("NaN")
    assert fen_to_yuan(123456) == Decimal("1234.56")


def test_logs_mask_identity_card_bank_card_phone_and_email():
    line = mask("id 440106199001011234 card 6222021234567890123 tel 13812345678 mail zhang.san@example.cn")
    assert "440106199001011234" not in line and "440106********1234" in line
    assert "6222021234567890123" not in line and "622202******0123" in line
    assert "13812345678" not in line and "138****5678" in line
    assert "zhang.san@" not in line


def test_unified_social_credit_codes_are_not_personal_data_and_stay_readable():
    assert mask("firm 91440101MA5CXXXX1X") == "firm 91440101MA5CXXXX1X"
    assert mask("firm 91440101000000019F") == "firm 91440101000000019F"


def test_problem_extension_members_never_replace_the_standard_ones():
    from bayfin.kernel.errors import Conflict

    body = Conflict("no", status="revoked", consent_id="c1").problem("/x")
    assert body["status"] == 409 and body["consent_id"] == "c1" and body["instance"] == "/x"
