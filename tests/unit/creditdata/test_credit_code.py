"""The GB 32100 check character, property-tested, and the vectorised check agreeing with the pure one."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from bayfin.creditdata.domain import (
    CREDIT_CODE_CHARSET,
    credit_code_check_character,
    credit_code_problem,
    is_valid_credit_code,
    make_credit_code,
)
from bayfin.creditdata.transform import credit_code_checks

body17 = st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17)


def test_a_published_credit_code_validates():
    # 91350100M000100Y43 is the example printed in GB 32100-2015's explanatory material.
    assert is_valid_credit_code("91350100M000100Y43")
    assert credit_code_check_character("91350100M000100Y4") == "3"


@given(body17)
def test_appending_the_check_character_always_gives_a_valid_code(first17):
    assert is_valid_credit_code(first17 + credit_code_check_character(first17))


@given(body17, st.integers(min_value=0, max_value=17), st.sampled_from(CREDIT_CODE_CHARSET))
def test_any_single_character_substitution_is_detected(first17, position, replacement):
    code = first17 + credit_code_check_character(first17)
    altered = code[:position] + replacement + code[position + 1 :]
    if altered != code:
        assert credit_code_problem(altered) is not None


@given(st.text(min_size=0, max_size=20))
def test_strings_outside_the_alphabet_or_length_are_format_errors(text):
    if len(text) != 18 or any(c not in CREDIT_CODE_CHARSET for c in text):
        assert credit_code_problem(text).value == "invalid_credit_code"


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8))
def test_assembled_codes_carry_a_valid_organization_code_and_check(body8):
    code = make_credit_code("9", "1", "440100", body8)
    assert len(code) == 18 and is_valid_credit_code(code)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.one_of(
            body17.map(lambda b: b + credit_code_check_character(b)),
            st.text(alphabet=CREDIT_CODE_CHARSET + "IOSVZ", min_size=18, max_size=18),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_the_vectorised_check_agrees_with_the_pure_rule(codes):
    well_formed, check_ok = credit_code_checks(pl.col("c"))
    out = pl.DataFrame({"c": codes}).select(well_formed.alias("w"), check_ok.alias("k"))
    for code, w, k in zip(codes, out["w"], out["k"], strict=True):
        assert (w and k) == is_valid_credit_code(code)
