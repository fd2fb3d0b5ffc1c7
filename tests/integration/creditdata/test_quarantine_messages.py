"""Quarantine messages are built without polars' ``format``, which panicked on chunked frames (2.1.0)."""

import os
import subprocess
import sys

import polars as pl

from bayfin.creditdata.domain import Reason
from bayfin.creditdata.service import _message, _quarantine

# Rows 2–4 of a two-part frame: the duplicates of a delivery whose earlier copies sit in the first part,
# so every column of the filtered frame starts with an empty chunk (what ingest_file hands _quarantine).
SNIPPET = """
import polars as pl
from bayfin.creditdata.domain import Reason
from bayfin.creditdata.service import _message, _quarantine

def part(rows):
    return pl.DataFrame({
        "row_number": [r for r, _, _ in rows],
        "raw": [f"line {r}" for r, _, _ in rows],
        "credit_code": [c for _, c, _ in rows],
        "record_key": [k for _, _, k in rows],
    })

first = part([(1, "914401001", "case-1"), (2, "914401002", "case-2")])
second = part([(3, "914401003", "case-3"), (4, "914401004", "case-4"), (5, "914401005", "case-5")])
frame = pl.concat([first, second], rechunk=False).filter(pl.Series([True, True, False, False, False]).not_())
assert [len(c) for c in frame["credit_code"].get_chunks()] == [0, 3], frame["credit_code"].get_chunks()
out = _quarantine(
    frame,
    Reason.duplicate_in_batch,
    _message("a row for {} {} came earlier", pl.col("credit_code"), pl.col("record_key")),
)
print(out["message"].to_list())
"""


def test_quarantining_rows_of_a_frame_whose_first_chunk_is_empty_does_not_crash_on_several_threads():
    env = {**os.environ, "POLARS_MAX_THREADS": "4"}
    done = subprocess.run(
        [sys.executable, "-c", SNIPPET], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == str(
        [
            "a row for 914401003 case-3 came earlier",
            "a row for 914401004 case-4 came earlier",
            "a row for 914401005 case-5 came earlier",
        ]
    )


def test_a_quarantine_message_reads_like_the_template_with_numbers_and_nulls_as_polars_format_would():
    frame = pl.DataFrame(
        {"row_number": [1, 2], "raw": ["a", "b"], "credit_code": [None, None], "n": [2, None],
         "lookup_name": ["广州甲公司", "广州乙公司"]}
    )  # fmt: skip
    expr = _message("{} registered enterprises are named {}; not guessed", pl.col("n"), pl.col("lookup_name"))
    out = _quarantine(frame, Reason.ambiguous_name, expr)
    assert out["message"].to_list() == ["2 registered enterprises are named 广州甲公司; not guessed", None]
    assert out["reason"].to_list() == [Reason.ambiguous_name.value] * 2
