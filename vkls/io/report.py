"""Conflict reports: a terminal table, JSON and CSV."""

from __future__ import annotations

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
    """One row per conflict, columns ``CSV_COLUMNS`` (see :func:`csv_line`)."""
    return csv_header() + "".join(csv_line(conflict) for conflict in result.conflicts)


def csv_header() -> str:
    return ",".join(CSV_COLUMNS) + "\n"


def csv_line(conflict) -> str:
    """One conflict as a CSV line of ``CSV_COLUMNS`` (ending in a newline).

    Numbers are metres with three decimals (millimetres, as in the JSON report), empty where
    there is none (NaN, None). Free text (object ids, the source, the explanation and the
    status) is quoted as :mod:`csv` does by default: only where it holds a comma, a quote or
    a line break; the other columns are vkls's own words. Written out by hand because a
    city report has millions of lines and the csv module spends most of its time converting.
    """
    c, t = conflict, _text
    always = (c.required, c.actual, c.chainage_start, c.chainage_end, c.chainage, c.x, c.y, c.z)
    if all(map(math.isfinite, always)):  # the usual case: one formatting call for all numbers
        measured = _NUMBERS % (c.required, c.actual, _number(c.horizontal), _number(c.vertical), c.chainage_start,
                               c.chainage_end, c.chainage_end - c.chainage_start, c.chainage, c.x, c.y, c.z)
    else:
        measured = ",".join(map(_number, (c.required, c.actual, c.horizontal, c.vertical, c.chainage_start,
                                          c.chainage_end, c.chainage_end - c.chainage_start, c.chainage, c.x, c.y,
                                          c.z)))
    return (f"{c.id},{c.rule},{t(c.objects[0])},{t(c.objects[1])},{c.kinds[0]},{c.kinds[1] or ''},{c.regime},"
            f"{measured},{c.severity},{c.certainty},{t(c.status)},{t(c.source)},{c.baseline or ''},"
            f"{t(c.explanation)}\n")


#: required, actual, the horizontal and vertical gaps (text: they may be empty), the chainages, x, y, z.
_NUMBERS = ",".join([f"%.{REPORT_DECIMALS}f"] * 2 + ["%s"] * 2 + [f"%.{REPORT_DECIMALS}f"] * 7)


def _text(value) -> str:
    if not value:
        return ""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _number(value) -> str:
    if value is None or not math.isfinite(value):
        return ""
    return f"{value:.{REPORT_DECIMALS}f}"


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
                 f"{summary['candidate_pairs']} pairs within a rule's reach found in {summary['seconds']['engine']:.3f} s.")
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
