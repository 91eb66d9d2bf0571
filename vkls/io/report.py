"""Conflict reports: a terminal table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import textwrap

from vkls.geometry.tolerances import REPORT_DECIMALS

CSV_COLUMNS = ("id", "rule", "object_a", "object_b", "kind_a", "kind_b", "regime", "required", "actual",
               "horizontal_gap", "vertical_gap", "chainage_start", "chainage_end", "length", "chainage", "x", "y", "z",
               "severity", "certainty", "status", "source", "baseline", "explanation")


def report_json(result) -> str:
    """The check result as JSON text: ``{"vkls": ..., "street": ..., "summary": ..., "conflicts": [...]}``."""
    document = {
        "vkls": {"version": result.version, "norms": list(result.norm_files)},
        "street": {"name": result.street.name, "file": result.street.source, "description": result.street.describe(),
                   **({"arrangement": result.street.arrangement.value, "length": round(result.scene.alignment.length, 3)}
                      if result.scene.has_section else {"arrangement": "existing networks"})},
        "summary": result.summary(),
        "conflicts": [c.as_dict() for c in result.conflicts],
    }
    if result.baseline_file:
        document["resolved"] = result.resolved
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def report_csv(result) -> str:
    """One row per conflict, columns ``CSV_COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for conflict in result.conflicts:
        writer.writerow(csv_row(conflict))
    return buffer.getvalue()


def csv_row(conflict) -> list:
    """One conflict as the values of ``CSV_COLUMNS`` (the fields of :meth:`Conflict.as_dict`, rounded
    the same way; empty where that gives None). Written out field by field: a city report makes
    millions of rows."""
    c = conflict
    return [c.id, c.rule, c.objects[0], _text(c.objects[1]), c.kinds[0], _text(c.kinds[1]), c.regime,
            _number(c.required), _number(c.actual), _number(c.horizontal), _number(c.vertical),
            _number(c.chainage_start), _number(c.chainage_end), _number(c.chainage_end - c.chainage_start),
            _number(c.chainage), _number(c.x), _number(c.y), _number(c.z), c.severity, c.certainty, c.status,
            c.source, _text(c.baseline), c.explanation]


def _text(value) -> str:
    return "" if value is None else value


def _number(value) -> str:
    """The text of ``round(value, REPORT_DECIMALS)`` as in the JSON report; "" for None, NaN and infinities.

    Fixed-point formatting rounds exactly as ``round`` does (both correctly rounded); without its
    trailing zeros it is the float's shortest text wherever the float spacing is far below a
    millimetre (below 1e9 m), so ``repr`` is needed only beyond.
    """
    if value is None or not math.isfinite(value):
        return ""
    if not -1e9 < value < 1e9:
        return repr(round(float(value), REPORT_DECIMALS))
    text = f"{value:.{REPORT_DECIMALS}f}".rstrip("0")
    return text + "0" if text[-1] == "." else text


def report_table(result, width: int | None = None) -> str:
    """A plain-text report: certain conflicts, then possible ones (position uncertainty), each
    as a table followed by the explanations; resolved conflicts against a baseline; the summary."""
    width = width or max(80, min(160, shutil.get_terminal_size((120, 20)).columns))
    lines = [f"vkls check: {result.street.name} ({result.street.describe()})", ""]
    with_baseline = bool(result.baseline_file)
    sections = (("Conflicts", [c for c in result.conflicts if c.certainty == "certain"]),
                ("Possible conflicts (they hold for some positions within the objects' position accuracy)",
                 [c for c in result.conflicts if c.certainty == "possible"]))
    for title, conflicts in sections:
        if conflicts:
            lines += conflict_table(title, conflicts, with_baseline, width)
    if result.resolved:
        lines += [f"Resolved since {result.baseline_file}:"]
        lines += [f"  {c['id']}: {c.get('explanation', '')}" for c in result.resolved]
        lines.append("")
    summary = result.summary()
    by_rule = ", ".join(f"{n} {rule}" for rule, n in summary["by_rule"].items())
    lines.append(f"{summary['conflicts']} conflict(s)" + (f" ({by_rule})" if by_rule else "")
                 + (f", {summary['possible']} of them possible" if summary["possible"] else "")
                 + f" among {summary['objects']} objects ({summary['capsules']} cable/pipe segments, "
                 f"{summary['boxes']} rack parts, {summary['trees']} trees); "
                 f"{summary['candidate_pairs']} candidate pairs checked in {summary['seconds']['engine']:.3f} s.")
    if with_baseline:
        b = summary["baseline"]
        lines.append(f"Against {result.baseline_file}: {b.get('new', 0)} new, {b.get('persisting', 0)} persisting, "
                     f"{b['resolved']} resolved.")
    return "\n".join(lines) + "\n"


def conflict_table(title: str, conflicts, with_baseline: bool, width: int) -> list[str]:
    extra = f" {'baseline':<10}" if with_baseline else ""
    header = (f"{'id':<10} {'rule':<13} {'objects':<30} {'regime':<8} {'required':>8} {'actual':>7} "
              f"{'chainage':>11} {'severity':<12}{extra}")
    lines = [f"{title} ({len(conflicts)}):", header, "-" * len(header)]
    for c in conflicts:
        objects = f"{c.objects[0]} ~ {c.objects[1]}" if c.objects[1] else c.objects[0]
        chain = (f"{c.chainage_start:.1f}-{c.chainage_end:.1f}" if c.length >= 0.05 and c.regime != "crossing"
                 else f"{c.chainage:.1f}")
        tail = f" {c.baseline or '':<10}" if with_baseline else ""
        lines.append(f"{c.id:<10} {c.rule:<13} {objects[:30]:<30} {c.regime:<8} {c.required:>8.{REPORT_DECIMALS}f} "
                     f"{c.actual:>7.{REPORT_DECIMALS}f} {chain:>11} {c.severity:<12}{tail}")
    lines.append("")
    for c in conflicts:
        lines += textwrap.wrap(f"{c.id}: {c.explanation}", width=width, subsequent_indent="  ")
    lines.append("")
    return lines
