"""Conflict reports: a terminal table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap

from vkls.geometry.tolerances import REPORT_DECIMALS

CSV_COLUMNS = ("id", "rule", "object_a", "object_b", "kind_a", "kind_b", "regime", "required", "actual",
               "horizontal_gap", "vertical_gap", "chainage_start", "chainage_end", "length", "x", "y", "z",
               "severity", "status", "source", "explanation")


def report_json(result) -> str:
    """The check result as JSON text: ``{"vkls": ..., "street": ..., "summary": ..., "conflicts": [...]}``."""
    document = {
        "vkls": {"version": result.version, "norms": list(result.norm_files)},
        "street": {"name": result.street.name, "file": result.street.source,
                   "arrangement": result.street.arrangement.value, "length": round(result.scene.alignment.length, 3)},
        "summary": result.summary(),
        "conflicts": [c.as_dict() for c in result.conflicts],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def report_csv(result) -> str:
    """One row per conflict, columns ``CSV_COLUMNS``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for conflict in result.conflicts:
        d = conflict.as_dict()
        d["object_a"], d["object_b"] = d["objects"]
        d["kind_a"], d["kind_b"] = d["kinds"]
        writer.writerow(["" if d[c] is None else d[c] for c in CSV_COLUMNS])
    return buffer.getvalue()


def report_table(result, width: int | None = None) -> str:
    """A plain-text table for the terminal, then each conflict's explanation and the summary."""
    width = width or max(80, min(160, shutil.get_terminal_size((120, 20)).columns))
    lines = [f"vkls check: {result.street.name} ({result.street.arrangement.value}, "
             f"{result.scene.alignment.length:.1f} m of route)", ""]
    if result.conflicts:
        header = f"{'id':<10} {'rule':<14} {'objects':<34} {'regime':<9} {'req m':>6} {'act m':>7} {'chainage':>13}"
        lines += [header, "-" * len(header)]
        for c in result.conflicts:
            objects = f"{c.objects[0]} ~ {c.objects[1]}" if c.objects[1] else c.objects[0]
            chain = (f"{c.chainage_start:.1f}-{c.chainage_end:.1f}" if c.length >= 0.05 and c.regime != "crossing"
                     else f"{c.chainage:.1f}")
            lines.append(f"{c.id:<10} {c.rule:<14} {objects[:34]:<34} {c.regime:<9} "
                         f"{c.required:>6.{REPORT_DECIMALS}f} {c.actual:>7.{REPORT_DECIMALS}f} {chain:>13}")
        lines.append("")
        for c in result.conflicts:
            lines += textwrap.wrap(f"{c.id}: {c.explanation}", width=width, subsequent_indent="  ")
        lines.append("")
    summary = result.summary()
    lines.append(f"{summary['conflicts']} conflict(s) "
                 + (f"({', '.join(f'{n} {rule}' for rule, n in summary['by_rule'].items())}) " if summary['by_rule']
                    else "")
                 + f"among {summary['objects']} objects ({summary['capsules']} cable/pipe segments, "
                 f"{summary['boxes']} rack parts, {summary['trees']} trees); "
                 f"{summary['candidate_pairs']} candidate pairs checked in {summary['seconds']['engine']:.3f} s.")
    return "\n".join(lines) + "\n"
