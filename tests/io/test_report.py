"""CSV lines of conflicts (vkls.io.report): what the csv module would write, numbers in millimetres."""

import csv
import io
import math
import random

from vkls.conflicts import Conflict
from vkls.io.report import CSV_COLUMNS, csv_header, csv_line


def reference_line(conflict) -> str:
    """The line the csv module writes for the conflict's JSON record, numbers with three decimals."""
    d = conflict.as_dict()
    d["object_a"], d["object_b"] = d["objects"]
    d["kind_a"], d["kind_b"] = d["kinds"]
    d["length"] = conflict.chainage_end - conflict.chainage_start
    for name in ("required", "actual", "horizontal_gap", "vertical_gap", "chainage_start", "chainage_end", "length",
                 "chainage", "x", "y", "z"):
        value = getattr(conflict, {"horizontal_gap": "horizontal", "vertical_gap": "vertical"}.get(name, name), None)
        value = d["length"] if name == "length" else value
        d[name] = f"{value:.3f}" if value is not None and math.isfinite(value) else None
    buffer = io.StringIO()  # "\r\n": the csv module then quotes text with a carriage return too
    csv.writer(buffer, lineterminator="\r\n").writerow(["" if d.get(c) is None else d[c] for c in CSV_COLUMNS])
    return buffer.getvalue()[:-2] + "\n"


def test_csv_lines_are_what_the_csv_module_writes():
    rng = random.Random(7)
    numbers = [None, float("nan"), float("inf"), -float("inf"), 0.0005, 2.675, 1e6 + 0.0005, -0.0015, -0.0004, 0.0,
               5e12 + 0.03, 463000.1235]
    texts = ["plain", "with, comma", 'with "quotes"', "two\nlines", "carriage\rreturn", "", "NEN 7171-1, tabel 3"]

    def number(optional=True):
        value = rng.choice(numbers + [rng.uniform(-50, 50) for _ in range(4)])
        return value if optional or value is not None else 0.25

    for _ in range(3000):
        conflict = Conflict(
            id="C-1", rule="clearance", objects=(rng.choice(texts[:5]) + "a", rng.choice([None, *texts])),
            kinds=("x", rng.choice([None, "y"])), labels=("A", "B"), required=number(False), actual=number(False),
            chainage_start=number(False), chainage_end=number(False), chainage=number(False), x=number(False),
            y=number(False), z=number(False), regime="parallel", horizontal=number(), vertical=number(),
            status="normative", source=rng.choice(texts), severity="normative", certainty="possible",
            explanation=rng.choice(texts), baseline=rng.choice([None, "new"]))
        assert csv_line(conflict) == reference_line(conflict)


def test_the_header_names_the_columns():
    assert next(csv.reader(io.StringIO(csv_header()))) == list(CSV_COLUMNS)
