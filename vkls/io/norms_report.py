"""The effective rule tables (``vkls norms show``) as Markdown or HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass

from vkls.model import RACK_KIND, NetworkKind

KINDS = [k.value for k in NetworkKind]
STATUS_MARK = {"normative": "N", "practitioner": "P", "local": "L"}


@dataclass(frozen=True)
class Table:
    """One table of the report."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


def _m(value: float) -> str:
    return f"{value:.2f}"


def _mark(entry) -> str:
    return STATUS_MARK.get(entry.status, "?")


def norm_tables(norms) -> list[Table]:
    """Every rule value, grouped as the rules use them, with status marks and a sources table."""
    tables = []
    rows = []
    for a in KINDS + [RACK_KIND]:
        row = [a]
        for b in KINDS:
            if a == RACK_KIND and b == RACK_KIND:
                row.append("")
                continue
            entry = norms.clearance(a, b)
            thermal = norms.thermal.get((a, b)) or norms.thermal.get((b, a))
            cell = f"{_m(entry.parallel)} / {_m(entry.crossing)} {_mark(entry)}"
            if thermal is not None:
                cell += f" (T {_m(thermal.parallel)} / {_m(thermal.crossing)} / {_m(thermal.above)})"
            row.append(cell)
        rows.append(row)
    tables.append(Table("Clearance matrix: parallel / crossing (metres, surface to surface)", ["kind"] + KINDS, rows,
                        "Crossing also applies to networks stacked vertically. N normative, P practitioner default, "
                        "L local. (T p / c / a): thermal rule, parallel / crossing with the sensitive network below "
                        "/ sensitive network above; where it applies it replaces the clearance value."))
    tables.append(Table("Thermal influence (source -> sensitive network)",
                        ["source", "sensitive", "parallel", "crossing", "above", "why", "status", "source of value"],
                        [[e.kinds[0], e.kinds[1], _m(e.parallel), _m(e.crossing), _m(e.above), e.reason, e.status,
                          e.source] for e in norms.thermal.values()]))
    per_kind = ["diameter", "cover", "cover_min", "cover_max", "bend_factor", "connection_diameter",
                "connection_facade_depth"]
    rows = []
    for kind in KINDS:
        row = [kind]
        for key in per_kind:
            value = norms.optional(f"networks.{kind}.{key}")
            row.append("" if value is None else f"{value.value:g} {_mark(value)}")
        strip = norms.optional(f"placement.strip_width.{kind}")
        row.append("" if strip is None else f"{strip.value:g} {_mark(strip)}")
        rows.append(row)
    tables.append(Table("Per network kind (metres; bend factor x outer diameter)", ["kind"] + per_kind + ["strip width"],
                        rows))
    rows = [[c, _m(norms.number(f"trees.classes.{c}.trunk_distance"))] for c in ("1a", "1b", "2", "3")]
    tables.append(Table("Trees: trunk centre to cable edge per size class (metres)", ["class", "distance"], rows,
                        f"With a root barrier: {_m(norms.number('trees.root_barrier_distance'))}. Root zone radius = "
                        f"max(crown radius + {norms.number('trees.root_zone_margin'):g}, "
                        f"{norms.number('trees.root_zone_dbh_factor'):g} x trunk diameter), down to "
                        f"{norms.number('trees.rootable_depth'):g} m."))
    tables.append(Table("Order", ["what", "value"], [
        ["NEN 7171 strips from the facade", ", ".join(norms.get("placement.sidewalk_order").value)],
        ["VKLS levels top to bottom", ", ".join(norms.get("placement.vkls_order").value)],
        *[[f"may not share a rack: {' + '.join(e.kinds)}", e.source] for e in norms.rack_exclusions.values()],
    ]))
    rows = [[key, _value(v.value), v.status, v.source, v.origin] for key, v in sorted(norms.values.items())]
    rows += [[f"clearance.pair {' - '.join(e.kinds)}", f"{_m(e.parallel)} / {_m(e.crossing)}", e.status, e.source,
              e.origin] for e in sorted(norms.pairs.values(), key=lambda e: e.kinds)]
    rows.append(["clearance.default", f"{_m(norms.default_pair.parallel)} / {_m(norms.default_pair.crossing)}",
                 norms.default_pair.status, norms.default_pair.source, norms.default_pair.origin])
    tables.append(Table("Every value with its source", ["key", "value", "status", "source", "file"], rows))
    return tables


def _value(value) -> str:
    return ", ".join(value) if isinstance(value, list) else f"{value:g}" if isinstance(value, float) else str(value)


def tables_markdown(tables: list[Table], files: tuple[str, ...]) -> str:
    """Markdown text of the tables."""
    lines = ["# vkls effective rules", "", "Norms files, later ones override earlier ones:", ""]
    lines += [f"- `{f}`" for f in files] + [""]
    for table in tables:
        lines += [f"## {table.title}", "", "| " + " | ".join(table.header) + " |",
                  "|" + "---|" * len(table.header)]
        lines += ["| " + " | ".join(cell.replace("|", "\\\\|") for cell in row) + " |" for row in table.rows]
        lines += ["", table.note, ""] if table.note else [""]
    return "\n".join(lines)


def tables_html(tables: list[Table], files: tuple[str, ...]) -> str:
    """A self-contained HTML page of the tables."""
    esc = html.escape
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>vkls effective rules</title>",
             "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
             "td,th{border:1px solid #999;padding:3px 6px;font-size:13px;vertical-align:top}"
             "th{background:#eee}</style></head><body><h1>vkls effective rules</h1>",
             "<p>Norms files, later ones override earlier ones:</p><ul>"]
    parts += [f"<li><code>{esc(f)}</code></li>" for f in files] + ["</ul>"]
    for table in tables:
        parts.append(f"<h2>{esc(table.title)}</h2><table><tr>"
                     + "".join(f"<th>{esc(h)}</th>" for h in table.header) + "</tr>")
        parts += ["<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in table.rows]
        parts.append("</table>" + (f"<p>{esc(table.note)}</p>" if table.note else ""))
    parts.append("</body></html>\n")
    return "\n".join(parts)
