"""data/inputs.py: the one set of parsers never raises, whatever it is given, and returns only
what it promises (ASCII digits within bounds, finite floats, text without control characters)."""

from __future__ import annotations

import math
import re
from datetime import date, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from data.inputs import (
    BLOCK_MAX,
    MAX_ID,
    TEXT_MAX,
    as_text,
    clean_block,
    clean_text,
    parse_choice,
    parse_clock,
    parse_day,
    parse_float,
    parse_id,
    parse_ids,
    parse_int,
    shorten,
    strip_controls,
)

# What a form, a query string, a Dash callback or a hostile client can hand over.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**4300, max_value=10**5000),  # str() of these raises
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
    st.sampled_from(["²", "١٢", "9" * 5000, "1e309", "nan", "-inf", "1_000", " 7 ", "+3", "0x1f"]),
    st.binary(max_size=20),
)
ANYTHING = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
PARSERS = [
    lambda v: parse_int(v, -100, 100),
    parse_id,
    parse_ids,
    lambda v: parse_float(v, 0, 1000),
    parse_day,
    parse_clock,
    lambda v: parse_choice(v, ("a", "b")),
    clean_text,
    clean_block,
    as_text,
]


@pytest.mark.parametrize("parser", PARSERS)
@given(value=ANYTHING)
def test_parsers_never_raise(parser, value):
    parser(value)


@given(value=ANYTHING)
def test_parse_int_is_ascii_digits_within_bounds(value):
    result = parse_int(value, -50, 50)
    if result is not None:
        assert type(result) is int and -50 <= result <= 50
        assert re.fullmatch(r"[+-]?[0-9]+", as_text(value).strip())


@given(digits=st.text(alphabet=st.characters(whitelist_categories=("Nd", "No")), min_size=1))
def test_only_ascii_digits_are_numbers(digits):
    expected = int(digits) if re.fullmatch("[0-9]{1,12}", digits) else None
    assert parse_int(digits, 0, 10**12) == expected


@pytest.mark.parametrize(
    "raw",
    ["²", "١٢", "٣", "𝟗", "9" * 5000, "9" * 13, "1e3", "1.0", "0x10", "1_000", "", " ", "--1"],
)
def test_refused_numbers(raw):
    assert parse_int(raw, -(10**13), 10**13) is None
    assert parse_id(raw) is None


def test_ids_are_positive_and_fit_the_database():
    assert parse_id("1") == 1 and parse_id(" 42 ") == 42 and parse_id(MAX_ID) == MAX_ID
    assert parse_id("0") is None and parse_id("-1") is None and parse_id(str(MAX_ID + 1)) is None
    assert parse_id(2**63) is None and parse_id(True) is None and parse_id(3.0) is None


@given(values=st.lists(ANYTHING, max_size=5) | ANYTHING)
def test_parse_ids_gives_ids_or_zero_without_repeats(values):
    ids = parse_ids(values)
    assert len(ids) == len(set(ids))
    assert all(type(i) is int and 0 <= i <= MAX_ID for i in ids)


@given(value=ANYTHING)
def test_parse_float_is_finite_and_bounded(value):
    result = parse_float(value, -10.5, 10.5)
    assert result is None or (math.isfinite(result) and -10.5 <= result <= 10.5)


@pytest.mark.parametrize(
    "raw", ["1e309", "nan", "inf", "-inf", "Infinity", "9" * 400, "1e3", "١.٥", "1,5", "0x1p3"]
)
def test_refused_floats(raw):
    assert parse_float(raw, -math.inf, math.inf) is None


def test_floats_accepted():
    assert parse_float("2.5", 0, 10) == 2.5 and parse_float(" .5", 0, 1) == 0.5
    assert parse_float(3, 0, 10) == 3.0 and parse_float(2.25, 0, 10) == 2.25
    assert parse_float(float("inf"), 0, math.inf) is None and parse_float("11", 0, 10) is None


@given(value=ANYTHING)
def test_days_and_clocks(value):
    assert parse_day(value) is None or isinstance(parse_day(value), date)
    assert parse_clock(value) is None or isinstance(parse_clock(value), time)


def test_days_and_clocks_examples():
    assert parse_day("2026-11-24") == date(2026, 11, 24)
    for bad in ("2026-02-30", "20261124", "2026-W48-2", "２０２６-11-24", "99999-01-01", ""):
        assert parse_day(bad) is None
    assert parse_clock("8:05") == time(8, 5) and parse_clock("23:59") == time(23, 59)
    for bad in ("24:00", "25:61", "08:00:00", "08：00", "٠٨:٠٠", "0800"):
        assert parse_clock(bad) is None


@given(value=ANYTHING, limit=st.integers(min_value=0, max_value=300))
def test_clean_text_is_one_clean_line_within_the_limit(value, limit):
    text = clean_text(value, limit)
    assert isinstance(text, str) and len(text) <= limit
    assert not CONTROL.search(text) and "\n" not in text and "\t" not in text
    assert text == text.lstrip()  # (a cut at the limit may end on a space)


@given(value=ANYTHING, limit=st.integers(min_value=0, max_value=3000))
def test_clean_block_has_no_controls_and_respects_the_limit(value, limit):
    text = clean_block(value, limit)
    assert isinstance(text, str) and len(text) <= limit
    assert not CONTROL.search(text) and "\r" not in text


def test_text_defaults_and_lines():
    assert len(clean_text("x" * 100_000)) == TEXT_MAX
    assert len(clean_block("x" * 100_000)) == BLOCK_MAX
    assert clean_text(" a\x00b \t\n c\x1b[0m ") == "ab c[0m"
    assert clean_block("第一行\r\n第二行\r\x07第三行") == "第一行\n第二行\n第三行"
    assert clean_text(["a"]) == "" and clean_text(12) == "12" and clean_text(None) == ""


@given(text=st.text())
def test_strip_controls_keeps_everything_else(text):
    stripped = strip_controls(text)
    assert not CONTROL.search(stripped)
    assert stripped == "".join(ch for ch in text if not CONTROL.match(ch))


@given(text=st.text(), limit=st.integers(min_value=1, max_value=100))
def test_shorten(text, limit):
    short = shorten(text, limit)
    assert len(short) <= limit
    assert short == text if len(text) <= limit else short.endswith("…")


@given(value=ANYTHING)
def test_as_text_only_passes_strings_and_modest_integers(value):
    text = as_text(value)
    assert isinstance(text, str)
    if not isinstance(value, str):
        assert text == "" or re.fullmatch(r"-?[0-9]{1,12}", text)
