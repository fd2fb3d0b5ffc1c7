"""Vectorised validation and normalisation of one delivery with polars.

Every check runs over whole columns; each row gets the first failing check's reason code and a message
naming the field, the column and the value. Valid rows come out typed in standard units (fen, dates,
first-of-month periods, code-table values) with a content hash over the normalised values.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

import polars as pl

from bayfin.creditdata.domain import (
    CREDIT_CODE_CHARSET,
    CREDIT_CODE_VALUES,
    CREDIT_CODE_WEIGHTS,
    SERIES_KINDS,
    FieldKind,
    Reason,
)
from bayfin.creditdata.mapping import UNIT_FEN_DIGITS, FieldMapping, Mapping
from bayfin.creditdata.readers import RawRows

CREDIT_CODE_PATTERN = rf"^[{CREDIT_CODE_CHARSET}]{{18}}$"
_NULL_MARK = "\u2205"


@dataclass
class Normalised:
    """The outcome of validating one delivery: typed valid rows and quarantined rows."""

    valid: pl.DataFrame  # row_number, raw, credit_code, lookup_name, record_key, fields…, content_hash
    quarantined: pl.DataFrame  # row_number, raw, credit_code, reason, message


QUARANTINE_SCHEMA = pl.Schema(
    {
        "row_number": pl.Int64(),
        "raw": pl.Utf8(),
        "credit_code": pl.Utf8(),
        "reason": pl.Utf8(),
        "message": pl.Utf8(),
    }
)


def _clean(column: str) -> pl.Expr:
    value = pl.col(column).str.strip_chars()
    return pl.when(value == "").then(None).otherwise(value).alias(column)


def credit_code_checks(code: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Boolean expressions (well-formed, check character right) for a column of upper-case codes."""
    well_formed = code.str.contains(CREDIT_CODE_PATTERN)
    total = pl.lit(0, pl.Int64)
    for i, weight in enumerate(CREDIT_CODE_WEIGHTS):
        value = code.str.slice(i, 1).replace_strict(CREDIT_CODE_VALUES, default=0, return_dtype=pl.Int64)
        total = total + value * weight
    expected = ((31 - total % 31) % 31).replace_strict(
        dict(enumerate(CREDIT_CODE_CHARSET)), default="?", return_dtype=pl.Utf8
    )
    return well_formed, expected == code.str.slice(17, 1)


def parse_money(value: pl.Expr, unit: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(fen, is_negative, is_malformed) for a cleaned text column of amounts in ``unit``.

    Integer arithmetic on the digits, rounding half up at the fen, so no float ever touches money.
    """
    digits = UNIT_FEN_DIGITS[unit]
    text = value.str.replace_all(",", "", literal=True)
    well_formed = text.str.contains(r"^\d{1,11}(\.\d{1,8})?$")
    negative = text.str.contains(r"^-\d{1,11}(\.\d{1,8})?$")
    whole = text.str.extract(r"^(\d+)", 1).cast(pl.Int64, strict=False)
    fraction = pl.concat_str([text.str.extract(r"\.(\d+)$", 1).fill_null(""), pl.lit("0" * (digits + 1))])
    scaled = whole * 10 ** (digits + 1) + fraction.str.slice(0, digits + 1).cast(pl.Int64, strict=False)
    fen = pl.when(well_formed).then((scaled + 5) // 10).otherwise(None)
    return fen, value.is_not_null() & negative, value.is_not_null() & ~well_formed & ~negative


def parse_count(value: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(count, is_malformed) for a cleaned text column of non-negative integers."""
    ok = value.str.contains(r"^\d{1,12}$")
    return pl.when(ok).then(value.cast(pl.Int64, strict=False)).otherwise(None), value.is_not_null() & ~ok


def parse_dates(value: pl.Expr, formats: list[str], month: bool) -> pl.Expr:
    """The first format that parses each value (a month parses to its first day), else null."""
    if month:
        value = pl.concat_str([value, pl.lit("|01")])
        formats = [f + "|%d" for f in formats]
    return pl.coalesce([value.str.strptime(pl.Date, f, strict=False) for f in formats])


class _Checks:
    """Collects (failed, reason, message) in priority order."""

    def __init__(self) -> None:
        self.items: list[tuple[pl.Expr, Reason, pl.Expr]] = []

    def add(self, failed: pl.Expr, reason: Reason, what: str, column: str, detail: str) -> None:
        message = pl.concat_str(
            [pl.lit(f"{what} ({column}): "), pl.col(column).fill_null("(empty)"), pl.lit(f" {detail}")]
        )
        self.items.append((failed.fill_null(False), reason, message))

    def reason(self) -> pl.Expr:
        """The first failing check's reason code per row (null when every check passes)."""
        exprs: list[pl.Expr] = [pl.when(f).then(pl.lit(r.value)) for f, r, _ in self.items]
        return pl.coalesce(exprs or [pl.lit(None, pl.Utf8)])

    def message(self) -> pl.Expr:
        """The first failing check's message per row."""
        exprs: list[pl.Expr] = [pl.when(f).then(m) for f, _, m in self.items]
        return pl.coalesce(exprs or [pl.lit(None, pl.Utf8)])


class _Stage:
    """Expressions computed once, as columns, before the checks that read them several times."""

    def __init__(self) -> None:
        self.exprs: list[pl.Expr] = []

    def put(self, expr: pl.Expr) -> pl.Expr:
        name = f"__s{len(self.exprs)}"
        self.exprs.append(expr.alias(name))
        return pl.col(name)


def _field_value(
    name: str,
    kind: FieldKind,
    fm: FieldMapping,
    mapping: Mapping,
    as_of: date,
    checks: _Checks,
    required: bool,
    stage: _Stage,
) -> pl.Expr:
    parsed: list[pl.Expr] = []
    for column in fm.source_columns:
        raw = pl.col(column)
        if required:
            checks.add(raw.is_null(), Reason.missing_required, name, column, "is required")
        if kind in (FieldKind.money, FieldKind.money_series):
            fen, negative, malformed = (stage.put(e) for e in parse_money(raw, fm.unit))
            checks.add(negative, Reason.negative_amount, name, column, "is negative")
            checks.add(malformed, Reason.invalid_amount, name, column, f"is not an amount in {fm.unit}")
            parsed.append(fen)
        elif kind in (FieldKind.whole_number, FieldKind.count_series):
            count, malformed = (stage.put(e) for e in parse_count(raw))
            checks.add(malformed, Reason.invalid_number, name, column, "is not a non-negative whole number")
            parsed.append(count)
        elif kind in (FieldKind.date, FieldKind.month):
            formats = mapping.date_formats(name)
            day = stage.put(parse_dates(raw, formats, kind is FieldKind.month))
            checks.add(
                raw.is_not_null() & day.is_null(),
                Reason.invalid_date,
                name,
                column,
                f"matches none of the formats {formats}",
            )
            checks.add(
                day > pl.lit(as_of),
                Reason.future_date,
                name,
                column,
                f"lies after the delivery's as-of date {as_of.isoformat()}",
            )
            parsed.append(day)
        elif kind is FieldKind.code and fm.codes is not None:
            coded = stage.put(raw.replace_strict(fm.codes, default=None, return_dtype=pl.Utf8))
            checks.add(
                raw.is_not_null() & coded.is_null(),
                Reason.unknown_code,
                name,
                column,
                "is not in the code table",
            )
            parsed.append(coded)
        elif kind is FieldKind.code and fm.pattern is not None:
            checks.add(
                raw.is_not_null() & ~raw.str.contains(fm.pattern),
                Reason.unknown_code,
                name,
                column,
                f"does not match the code pattern {fm.pattern}",
            )
            parsed.append(raw)
        else:
            parsed.append(raw)
    if kind in SERIES_KINDS:
        return pl.concat_list(parsed).alias(name)
    return parsed[0].alias(name)


def _key_text(kind: FieldKind, name: str) -> pl.Expr:
    if kind is FieldKind.month:
        return pl.col(name).dt.strftime("%Y-%m")
    if kind is FieldKind.date:
        return pl.col(name).dt.strftime("%Y-%m-%d")
    return pl.col(name).cast(pl.Utf8)


def content_text(mapping: Mapping) -> pl.Expr:
    """One string per row over every mapped field's normalised value (what the content hash covers)."""
    parts = []
    rt = mapping.record_type
    for spec in rt.fields:
        if spec.name not in mapping.fields:
            parts.append(pl.lit(_NULL_MARK))
        elif spec.kind in SERIES_KINDS:
            parts.append(
                pl.col(spec.name)
                .list.eval(pl.element().cast(pl.Utf8).fill_null(_NULL_MARK))
                .list.join(",")
                .fill_null(_NULL_MARK)
            )
        else:
            parts.append(pl.col(spec.name).cast(pl.Utf8).fill_null(_NULL_MARK))
    return pl.concat_str(parts, separator="\x1f")


def content_hashes(texts: list[str]) -> list[str]:
    """BLAKE2b-128 hex digests of the rows' content texts."""
    return [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in texts]


def normalise(rows: RawRows, mapping: Mapping, as_of: date) -> Normalised:
    """Validate every readable row of a delivery, vectorised; reads rejects straight into quarantine."""
    frame = rows.to_frame()
    frame = frame.with_columns([_clean(c) for c in mapping.columns])
    checks = _Checks()
    stage = _Stage()
    ident = mapping.identity
    code = pl.col(ident.credit_code).str.to_uppercase() if ident.credit_code else pl.lit(None, pl.Utf8)
    name = pl.col(ident.name) if ident.name else pl.lit(None, pl.Utf8)
    if ident.credit_code:
        frame = frame.with_columns(code.alias("__code_upper"))
        code = pl.col("__code_upper")
        well_formed, check_ok = (stage.put(e) for e in credit_code_checks(code))
        checks.add(
            code.is_null() & name.is_null(),
            Reason.missing_identifier,
            "enterprise",
            ident.credit_code,
            "neither a credit code nor a name identifies the enterprise",
        )
        checks.add(
            code.is_not_null() & ~well_formed,
            Reason.invalid_credit_code,
            "credit_code",
            ident.credit_code,
            "is not 18 characters of the GB 32100 alphabet",
        )
        checks.add(
            code.is_not_null() & well_formed & ~check_ok,
            Reason.check_character_mismatch,
            "credit_code",
            ident.credit_code,
            "has the wrong GB 32100 check character",
        )
    else:
        checks.add(
            name.is_null(),
            Reason.missing_identifier,
            "enterprise",
            str(ident.name),
            "no name identifies the enterprise",
        )
    rt = mapping.record_type
    values = [
        _field_value(n, rt.field(n).kind, fm, mapping, as_of, checks, rt.field(n).required, stage)
        for n, fm in mapping.fields.items()
    ]
    # Two steps: parsed values and check flags become columns once; reasons and values then read them.
    frame = frame.with_columns(stage.exprs)
    evaluated = frame.with_columns(
        code.alias("__code"),
        name.alias("__name"),
        checks.reason().alias("__reason"),
        *values,
    )
    # Messages are built for the few failing rows only: formatting one per check and row costs more
    # than all the checks together.
    bad = evaluated.filter(pl.col("__reason").is_not_null()).with_columns(checks.message().alias("__message"))
    bad = bad.select(
        pl.col("__row").alias("row_number"),
        pl.col("__raw").alias("raw"),
        pl.col("__code").alias("credit_code"),
        pl.col("__reason").alias("reason"),
        pl.col("__message").alias("message"),
    )
    if rows.rejects:
        bad = pl.concat(
            [
                bad,
                pl.DataFrame(
                    {
                        "row_number": [r.row_number for r in rows.rejects],
                        "raw": [r.raw for r in rows.rejects],
                        "credit_code": [None] * len(rows.rejects),
                        "reason": [r.reason.value for r in rows.rejects],
                        "message": [r.message for r in rows.rejects],
                    },
                    schema=QUARANTINE_SCHEMA,
                ),
            ]
        )
    key = _key_text(rt.field(rt.key_field).kind, rt.key_field) if rt.key_field else pl.lit("")
    good = evaluated.filter(pl.col("__reason").is_null()).select(
        pl.col("__row").alias("row_number"),
        pl.col("__raw").alias("raw"),
        pl.col("__code").alias("credit_code"),
        pl.when(pl.col("__code").is_null()).then(pl.col("__name")).otherwise(None).alias("lookup_name"),
        key.alias("record_key"),
        *[pl.col(n) for n in mapping.fields],
        content_text(mapping).alias("__content"),
    )
    good = good.with_columns(
        pl.Series("content_hash", content_hashes(good["__content"].to_list()), dtype=pl.Utf8)
    ).drop("__content")
    return Normalised(valid=good, quarantined=bad.cast(QUARANTINE_SCHEMA).sort("row_number"))
