"""CSV rows of conflicts (vkls.io.report): the same values and rounding as the JSON records."""

import csv
import io
import random

from vkls.conflicts import Conflict
from vkls.io.report import CSV_COLUMNS, csv_row


def reference_row(conflict) -> list:
    """The CSV row taken from the JSON record (``Conflict.as_dict``)."""
    d = conflict.as_dict()
    d["object_a"], d["object_b"] = d["objects"]
    d["kind_a"], d["kind_b"] = d["kinds"]
    return ["" if d.get(c) is None else d[c] for c in CSV_COLUMNS]


def test_csv_rows_equal_the_json_records_value_for_value():
    rng = random.Random(7)
    numbers = [None, float("nan"), float("inf"), -float("inf"), 0.0005, 2.675, 1e6 + 0.0005, -0.0015, -0.0004, 0.0,
               5e12 + 0.03, 1e9 - 0.0005, 463000.1235]

    def number(optional=True):
        value = rng.choice(numbers + [rng.uniform(-50, 50) for _ in range(4)])
        return value if optional or value is not None else 0.25

    for _ in range(3000):
        conflict = Conflict(
            id="C-1", rule="clearance", objects=("a", rng.choice([None, "b"])), kinds=("x", rng.choice([None, "y"])),
            labels=("A", "B"), required=number(False), actual=number(False), chainage_start=number(False),
            chainage_end=number(False), chainage=number(False), x=number(False), y=number(False), z=number(False),
            regime="parallel", horizontal=number(), vertical=number(), status="normative", source="NEN 7171",
            severity="normative", certainty="possible", explanation='why, "this"', baseline=rng.choice([None, "new"]))
        assert written(csv_row(conflict)) == written(reference_row(conflict))


def written(row: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()
