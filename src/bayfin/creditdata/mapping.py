"""Declarative mapping files: how one department's (or city's) delivery maps onto the standard record.

A new department or city is a YAML file in ``bayfin/creditdata/mappings/`` (or anywhere, by path):
columns → fields, units (元/万元), date formats, code tables, encoding and file format. No code.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bayfin.creditdata.domain import SERIES_KINDS, FieldKind, RecordType, record_type
from bayfin.kernel.errors import NotFound, ValidationFailed

DEFAULT_DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日", "%Y/%m/%d")
DEFAULT_MONTH_FORMATS = ("%Y-%m", "%Y%m", "%Y年%m月", "%Y/%m")
#: Money units a delivery may use, as the number of decimal places that turn them into fen.
UNIT_FEN_DIGITS = {"分": 0, "元": 2, "万元": 6}


class FieldMapping(BaseModel):
    """Where one standard field comes from and how to read it."""

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    columns: list[str] | None = None
    unit: Literal["分", "元", "万元"] = "元"
    formats: list[str] | None = None
    codes: dict[str, str] | None = None
    pattern: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> FieldMapping:
        if (self.column is None) == (self.columns is None):
            raise ValueError("give exactly one of column (a value) or columns (a monthly series)")
        return self

    @property
    def source_columns(self) -> list[str]:
        """The delivery columns this field reads."""
        return list(self.columns) if self.columns is not None else [str(self.column)]


class IdentityMapping(BaseModel):
    """Columns identifying the enterprise: the credit code, and/or the name for older systems."""

    model_config = ConfigDict(extra="forbid")

    credit_code: str | None = None
    name: str | None = None

    @model_validator(mode="after")
    def _something(self) -> IdentityMapping:
        if self.credit_code is None and self.name is None:
            raise ValueError("identity needs a credit_code column, a name column, or both")
        return self


class Mapping(BaseModel):
    """One delivery source: format, encoding, identity columns and field mappings."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    department: str
    record: str
    format: Literal["csv", "jsonl", "xml", "xlsx"]
    encoding: Literal["auto", "utf-8", "gbk"] = "auto"
    xml_record: str | None = None
    identity: IdentityMapping
    fields: dict[str, FieldMapping]

    @model_validator(mode="after")
    def _fits_the_record_type(self) -> Mapping:
        rt = record_type(self.record)
        for name, fm in self.fields.items():
            spec = rt.field(name)
            if (spec.kind in SERIES_KINDS) != (fm.columns is not None):
                raise ValueError(f"field {name}: series fields take columns, others a column")
            if fm.codes is not None and spec.kind is not FieldKind.code:
                raise ValueError(f"field {name}: only code fields take a code table")
        missing = [f.name for f in rt.fields if f.required and f.name not in self.fields]
        if missing:
            raise ValueError(f"required fields not mapped: {', '.join(missing)}")
        series = {len(fm.columns) for fm in self.fields.values() if fm.columns is not None}
        if len(series) > 1:
            raise ValueError("every monthly series of one delivery must have the same length")
        if self.format == "xml" and not self.xml_record:
            raise ValueError("xml deliveries name their record element in xml_record")
        return self

    @property
    def record_type(self) -> RecordType:
        """The standard record type this delivery fills."""
        return record_type(self.record)

    @property
    def columns(self) -> list[str]:
        """Every delivery column the mapping reads (identity first)."""
        cols = [c for c in (self.identity.credit_code, self.identity.name) if c]
        for fm in self.fields.values():
            cols.extend(c for c in fm.source_columns if c not in cols)
        return cols

    def date_formats(self, field: str) -> list[str]:
        """Accepted formats of a date or month field."""
        fm = self.fields[field]
        if fm.formats:
            return fm.formats
        kind = self.record_type.field(field).kind
        return list(DEFAULT_MONTH_FORMATS if kind is FieldKind.month else DEFAULT_DATE_FORMATS)


def parse_mapping(text: str, origin: str = "<mapping>") -> Mapping:
    """Validate a mapping document; a broken file is a 422 naming what is wrong."""
    try:
        data = yaml.safe_load(text)
        return Mapping.model_validate(data)
    except (yaml.YAMLError, ValueError, KeyError) as exc:
        raise ValidationFailed(f"mapping {origin} is invalid: {exc}") from exc


def builtin_mapping_names() -> list[str]:
    """Names of the mappings shipped with bayfin."""
    folder = resources.files("bayfin.creditdata") / "mappings"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_mapping(name_or_path: str) -> Mapping:
    """A shipped mapping by source name, or a mapping file by path."""
    path = Path(name_or_path)
    if path.suffix in {".yaml", ".yml"} and path.exists():
        return parse_mapping(path.read_text(encoding="utf-8"), str(path))
    res = resources.files("bayfin.creditdata") / "mappings" / f"{name_or_path}.yaml"
    if not res.is_file():
        raise NotFound(f"no mapping for source {name_or_path!r}; known: {', '.join(builtin_mapping_names())}")
    return parse_mapping(res.read_text(encoding="utf-8"), name_or_path)
