"""Pure rules: promised returns, rule tags, entity linking and levels."""

from bayfin.riskmonitor.domain import EntityIndex, level_of, phones_in, promised_rate_bp, rule_hits

CITIES = ("广州市", "佛山市")


def index() -> EntityIndex:
    idx = EntityIndex(city_names=CITIES)
    idx.add("91440100MA0000001X", "广州鑫源泰投资咨询有限公司", "440100")
    idx.add("91440100MA0000002X", "广州华信达贸易有限公司", "440100")
    idx.add("91440600MA0000003X", "佛山宏盛电器有限公司", "440600")
    idx.add("91440600MA0000004X", "同名商贸有限公司", "440600")
    idx.add("91440100MA0000005X", "同名商贸有限公司", "440100")
    idx.add_phone("13800138000", "91440600MA0000003X")
    return idx


def test_promised_annual_and_monthly_returns_are_read_in_basis_points():
    assert promised_rate_bp("本产品年化收益 18% 保本保息") == 1800
    assert promised_rate_bp("月息2%，每月返利") == 2400
    assert promised_rate_bp("诚信经营，欢迎选购") is None


def test_rule_hits_keep_a_snippet_of_the_text_that_matched():
    hits = rule_hits("平台保本保息，推荐好友返佣10%，USDT兑换")
    assert {
        "guaranteed_return",
        "referral_pyramid",
        "category:virtual_tokens",
        "category:illegal_fundraising",
    } <= set(hits)
    assert "保本保息" in hits["guaranteed_return"]


def test_phone_numbers_are_found_in_free_text():
    assert phones_in("老板电话13800138000打不通，座机020-12345678") == ["13800138000", "020-12345678"]


def test_an_exact_name_links_with_high_confidence():
    result = index().link("广州华信达贸易有限公司")
    assert result.credit_code == "91440100MA0000002X" and result.confidence >= 0.95


def test_a_short_name_or_shop_sign_links_by_its_distinctive_words():
    result = index().link("鑫源泰投资")
    assert result.credit_code == "91440100MA0000001X" and result.method == "fuzzy_name"


def test_a_misspelt_name_still_links_when_the_rest_agrees():
    result = index().link("广州鑫原泰投资", city_code="440100")
    assert result.credit_code == "91440100MA0000001X"


def test_a_phone_number_alone_links_to_the_firm_whose_site_shows_it():
    result = index().link("一家公司", text="对方电话13800138000")
    assert result.credit_code == "91440600MA0000003X" and result.method == "phone"


def test_a_name_shared_by_two_firms_is_settled_by_the_city_or_left_for_review():
    assert index().link("同名商贸有限公司", city_code="440600").credit_code == "91440600MA0000004X"
    unsettled = index().link("同名商贸有限公司")
    assert unsettled.credit_code is None and len(unsettled.candidates) == 2


def test_an_unknown_name_is_not_linked_and_says_so():
    result = index().link("路边投资店")
    assert result.credit_code is None and result.confidence < 0.75


def test_levels_follow_the_documented_bounds():
    assert [level_of(s) for s in (0, 39.9, 40, 60, 79.9, 80, 100)] == [
        "normal",
        "normal",
        "attention",
        "high",
        "high",
        "critical",
        "critical",
    ]


def test_linking_strips_the_same_cities_the_demo_region_is_drawn_from() -> None:
    from bayfin.riskmonitor.domain import CITY_NAMES
    from bayfin.simulation.creditdata.population import CITIES

    assert tuple(c[0] for c in CITIES) == CITY_NAMES
