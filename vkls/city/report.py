"""Reports of a city check, written while the tiles stream past (memory stays bounded).

- ``csv``: one row per conflict (the columns of a street report), tile after tile.
- ``json``: ``{"vkls": ..., "city": ..., "conflicts": [...], "summary": ...}``; the summary
  comes last because it is known only at the end.
- ``table`` (standard output): the summary and the first conflicts of the city.

Files are written to a temporary file next to the target and renamed at the end, so a
failed or interrupted run leaves no half-written report.
"""

from __future__ import annotations

import json

from vkls import __version__
from vkls.city.check import STAGES
from vkls.io.report import conflict_table, csv_header, csv_line

#: How many conflicts the terminal table shows (the rest are counted in the summary).
TABLE_ROWS = 25


class StreamingReport:
    """Collects conflicts tile by tile into an open text stream (``csv`` or ``json``), or keeps the
    first :data:`TABLE_ROWS` for the terminal table (``table``)."""

    def __init__(self, fmt: str, stream=None):
        self.fmt, self.stream = fmt, stream
        self.first: list = []
        self._written = 0
        if fmt == "csv":
            stream.write(csv_header())
        elif fmt == "json":
            stream.write('{\n  "vkls": ' + json.dumps({"version": __version__}) + ',\n  "conflicts": [')

    def add_text(self, text: str) -> None:
        """Receive one tile's conflicts already formatted by its worker (:func:`format_conflicts`)."""
        if self.fmt == "json":
            self.stream.write(("," if self._written else "") + "\n    " + text)
            self._written += 1
        else:
            self.stream.write(text)

    def add(self, conflicts: list) -> None:
        """Receive one tile's conflicts (formatted here; workers send :func:`format_conflicts` text instead)."""
        if self.fmt == "table":
            self.first += conflicts[:TABLE_ROWS - len(self.first)]
        elif conflicts:
            self.add_text(format_conflicts(conflicts, self.fmt))

    def finish(self, result) -> str:
        """Close the JSON document; the terminal table for ``table``."""
        if self.fmt == "json":
            city = {"name": result.manifest.name, "folder": result.manifest.folder,
                    "summary": result.manifest.summary, "norms": list(result.norm_files)}
            self.stream.write("\n  ],\n  \"city\": " + json.dumps(city, ensure_ascii=False)
                              + ",\n  \"summary\": " + json.dumps(result.summary()) + "\n}\n")
        return city_table(result, self.first) if self.fmt == "table" else ""


def format_conflicts(conflicts: list, fmt: str) -> str:
    """Conflicts as CSV rows (no header) or as JSON array items joined by commas (no brackets);
    nothing for ``table``."""
    if fmt == "table":
        return ""
    if fmt == "csv":
        return "".join(csv_line(c) for c in conflicts)
    return ",\n    ".join(json.dumps(c.as_dict(), ensure_ascii=False) for c in conflicts)


def city_table(result, first: list) -> str:
    """Plain text: what was checked, the first conflicts, counts per rule, throughput."""
    summary = result.summary()
    manifest = result.manifest
    km = manifest.summary.get("km_cables")
    lines = [f"vkls check: {manifest.name} (city store {manifest.folder}: {summary['segments']:,} segments, "
             f"{summary['lines']:,} cables and pipes{f', {km:,.1f} km' if isinstance(km, (int, float)) else ''}, "
             f"{summary['trees']:,} trees, {summary['tiles']} tile(s))", ""]
    if first:
        title = f"Conflicts, the first of {summary['conflicts']:,} (write them all with -o conflicts.csv)" \
            if summary["conflicts"] > len(first) else "Conflicts"
        lines += conflict_table(title, first, False, 120)
    by_rule = ", ".join(f"{n:,} {rule}" for rule, n in summary["by_rule"].items())
    lines.append(f"{summary['conflicts']:,} conflict(s)" + (f" ({by_rule})" if by_rule else "")
                 + (f", {summary['possible']:,} of them possible" if summary["possible"] else "") + ".")
    lines.append(throughput_line(summary))
    return "\n".join(lines) + "\n"


def throughput_line(summary: dict) -> str:
    """Where the time went, one line."""
    seconds = summary["seconds"]
    stages = ", ".join(f"{stage} {seconds.get(stage, 0.0):.1f}" for stage in STAGES)
    rate = summary["segments_per_second"]
    return (f"Checked in {seconds['wall']:.1f} s ({rate:,} segments/s; {summary['mode']}; halo "
            f"{summary['halo_m']:.2f} m, {summary['segments_read'] / max(1, summary['segments']):.2f}x segments "
            f"read). Time summed over workers, s: {stages}.")
