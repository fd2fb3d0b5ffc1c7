"""Pure pieces of the console: sealed cookies, safe return paths, languages, money and menus."""

from __future__ import annotations

from bayfin.kernel.security import Principal
from bayfin.web import i18n
from bayfin.web.access import navigation
from bayfin.web.core import safe_next
from bayfin.web.formatting import cell, label, yuan
from bayfin.web.session import seal, unseal
from bayfin.web.wiring import WebConsole

CONSOLE = WebConsole(issuer="https://bayfin.example", client_id="bayfin-console", cookie_key=b"k" * 32,
                     cookie_secure=True)


def test_a_sealed_cookie_opens_only_with_its_key_and_purpose():
    value = seal(CONSOLE, "session", {"sid": "abc", "n": 1})
    assert unseal(CONSOLE, "session", value) == {"sid": "abc", "n": 1}
    assert unseal(CONSOLE, "login", value) is None
    other = WebConsole(issuer=CONSOLE.issuer, client_id="x", cookie_key=b"o" * 32, cookie_secure=True)
    assert unseal(other, "session", value) is None
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert unseal(CONSOLE, "session", flipped) is None
    assert unseal(CONSOLE, "session", "") is None and unseal(CONSOLE, "session", "!!") is None


def test_after_sign_in_the_browser_only_goes_to_console_paths():
    assert safe_next("/console/firm?x=1") == "/console/firm?x=1"
    for hostile in ("https://evil.example/", "//evil.example/console", "/oauth2/logout", None,
                    "/console\\..\\x"):
        assert safe_next(hostile) == "/console"


def test_the_language_cookie_wins_over_the_browser_and_chinese_is_the_default():
    assert i18n.pick("en", "zh-CN,zh;q=0.9") == "en"
    assert i18n.pick(None, "en-GB,en;q=0.8") == "en"
    assert i18n.pick("fr", "de-DE") == "zh"
    assert set(i18n.TEXTS["zh"]) == set(i18n.TEXTS["en"])


def test_money_in_fen_is_shown_in_yuan_and_named_so():
    assert yuan(123456789) == "1,234,567.89"
    assert yuan(None) == "—"
    assert cell("arrears_fen", 5000) == "50.00"
    assert cell("insured_headcount", [5, 6]) == "5, 6"
    assert label("vat_sales_fen") == "vat sales (元)"


def test_each_role_gets_the_menu_its_api_rights_allow():
    enterprise = Principal("u", "91440000MA5XXXXXX", "enterprise", scopes=frozenset({"consent:manage"}))
    officer = Principal("o", "BANK-A", "institution", scopes=frozenset({"consent:request", "credit:read"}))
    operator = Principal("p", "OPERATOR", "operator", roles=frozenset({"operator"}),
                         scopes=frozenset({"fraud:read"}))
    analyst = Principal("a", "PBC-GZ", "regulator", roles=frozenset({"risk_analyst"}))
    assert [p for _, p in navigation(enterprise)] == ["/console/firm", "/console/firm/consents",
                                                      "/console/firm/access-log"]
    assert [p for _, p in navigation(officer)] == ["/console/credit/search", "/console/credit/consents"]
    assert "/console/dashboard" in [p for _, p in navigation(operator)]
    assert "/console/fraud" in [p for _, p in navigation(operator)]
    assert [p for _, p in navigation(analyst)] == ["/console/risk"]
    assert navigation(None) == []


def test_validation_errors_are_said_plainly_in_the_users_language():
    too_short = {"type": "string_too_short", "msg": "String should have at least 1 character"}
    assert i18n.validation_message(too_short, "zh") == "此项必填。"
    assert i18n.validation_message({"type": "missing"}, "en") == "This field is required."
    assert i18n.validation_message({"type": "int_parsing", "msg": "Input should be a valid integer"},
                                   "en").startswith("Enter a valid number")
    assert i18n.validation_message({"type": "value_error", "msg": "Value error, not a unified social "
                                    "credit code"}, "en") == "not a unified social credit code"
