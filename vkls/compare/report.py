"""The comparison report: layouts side by side, as HTML, Markdown or JSON (images embedded)."""

from __future__ import annotations

import base64
import html
import json
from dataclasses import dataclass

from vkls.compare.metrics import LayoutMetrics, layout_metrics

#: Pictures of a comparison: figure width for the widest street, inches; narrower streets scale down
#: so that every section is drawn at the same scale.
SECTION_WIDTH_INCHES = 9.0
RENDER_SIZE = (900, 560)

HOW_COMPUTED = [
    ("Space claimed",
     "Each cable or pipe is drawn in the cross-section as a circle of its outer diameter, grown by half the "
     "distance (the largest clearance or thermal value of the pair) it must keep to its nearest neighbour in the "
     "section, so that two neighbours whose claims just touch lie exactly at their required distance. A VKLS rack claims its outline "
     "(outer width x from its protection plate to its base plate) and the trench room beside it on the street side "
     "(access.trench_width), which must stay free for digging. The claims are united and clipped to the street "
     "(facade to the last zone, below the surface). Width claimed = the length of the union's shadow on the "
     "surface; area claimed = the union's area, in m2 per metre of street; width left free = street width - width "
     "claimed."),
    ("Does the profile fit the sidewalk",
     "The sidewalk is the zones from the facade up to the first parking or carriageway zone. The profile needs the "
     "furthest edge of the claims of the networks vkls placed in NEN 7171 strips or on the rack, of the networks "
     "the design puts under the sidewalk, and of the rack with its trench room. It fits when that edge lies within "
     "the sidewalk."),
    ("Room for trees",
     "A tree's root zone is a vertical cylinder of radius max(crown radius + trees.root_zone_margin, "
     "trees.root_zone_dbh_factor x trunk diameter) from the surface down to trees.rootable_depth; only the part under "
     "the street (facade to street edge, along the route) is soil. Its free rootable volume is the zone's volume "
     "minus the part that lies inside the claims above, integrated slice by slice along the route (400 slices). "
     "A tree meets its need when the free volume is at least trees.root_volume_need for its size class. A new tree "
     "of a class could stand where the surface is not carriageway, its trunk keeps the class distance to every "
     "cable and pipe and stays clear of the rack and its trench room, and a tree of the class's typical size "
     "(trees.typical) in the middle of the route would have its root volume need free."),
    ("Digging",
     "To reach a network outside a rack, a trench is dug from the surface over the network's width plus "
     "access.working_room on each side, down to its underside plus digging.bottom_allowance. To reach a network "
     "on a rack, a trench of access.trench_width is dug beside the rack on the street side down to the network's "
     "level (plus the allowance), then sideways into the rack at that level. Volume per opening = trench "
     "cross-section area x digging.dig_length. A network is exposed when its cross-section lies in that trench. "
     "Openings per 100 m per year = digging.openings_per_100m_year x the network kind's share "
     "(digging.share.*; telecom 70 %), split equally between networks of one kind. Expected excavation per 100 m per "
     "year = the sum over the networks of openings x volume; expected exposures = the sum of openings x the number "
     "of networks each opening exposes."),
    ("Conflicts",
     "The full check (`vkls check`) of each layout, counted per rule and per severity."),
]


@dataclass
class Layout:
    """One checked layout with its figures and pictures."""

    result: object
    metrics: LayoutMetrics
    section_png: bytes | None
    render_png: bytes | None


def compare(paths: list[str], norm_files=(), pictures: bool = True) -> list[Layout]:
    """Check every layout and compute its figures (and pictures).

    Raises
    ------
    InputError
        A layout file is bad, or a layout has no route (compare works on street files).
    """
    from vkls.errors import InputError
    from vkls.pipeline import check
    from vkls.rules.loader import load_norms

    norms = load_norms(tuple(norm_files))
    results = [check(path, norm_files) for path in paths]
    for path, result in zip(paths, results):
        if not result.scene.has_section:
            raise InputError("compare needs street files with a cross-section (TOML), not a map of existing networks",
                             source=path)
    widest = max(sum(z.width for z in r.street.zones) for r in results)
    layouts = []
    for result in results:
        metrics = layout_metrics(result, norms)
        section = render = None
        if pictures:
            section, render = _pictures(result, norms, metrics.street_width / widest)
        layouts.append(Layout(result, metrics, section, render))
    return layouts


def _pictures(result, norms, scale: float) -> tuple[bytes, bytes]:
    from vkls.viewer.render import png_bytes, render_image
    from vkls.viewer.section import draw_section

    street, scene, conflicts = result.street, result.scene, result.conflicts
    middle = _quiet_chainage(street, scene)
    section = draw_section(street, scene, conflicts, middle, norms=norms, fmt="png",
                           width=max(4.0, SECTION_WIDTH_INCHES * scale))
    render = png_bytes(render_image(street, scene, conflicts, view="iso", size=RENDER_SIZE))
    return section, render


def _quiet_chainage(street, scene) -> float:
    """A chainage near the middle of the route, away from house connections (a plain section)."""
    length = scene.alignment.length
    busy = sorted({round(c, 3) for spec in street.connections
                   for c in [spec.start + k * spec.spacing for k in range(int(length / spec.spacing) + 2)]})
    best, gap = length / 2, 0.0
    for lo, hi in zip([0.0] + busy, busy + [length]):
        middle = (lo + hi) / 2
        if hi - lo > gap and abs(middle - length / 2) < length / 3:
            best, gap = middle, hi - lo
    return best


# --------------------------------------------------------------------------- #
# Tables                                                                      #
# --------------------------------------------------------------------------- #


def summary_rows(layouts: list[Layout]) -> list[tuple[str, list[str]]]:
    """(label, one cell per layout) rows of the side-by-side table."""
    m = [layout.metrics for layout in layouts]

    def row(label, cell):
        return label, [cell(x) for x in m]

    def places(x):
        found = [f"class {c}: " + ", ".join(f"{a:.2f}-{b:.2f} m" for a, b in r) for c, r in x.tree_places.items() if r]
        return "; ".join(found) or "nowhere"

    return [
        row("Arrangement", lambda x: x.arrangement),
        row("Street width / sidewalk width", lambda x: f"{x.street_width:.2f} m / {x.sidewalk_width:.2f} m"),
        row("Sidewalk profile needs", lambda x: f"{x.sidewalk_need:.2f} m: " + ("fits" if x.fits_sidewalk else
                                                                                 "DOES NOT FIT the sidewalk")),
        row("Width claimed (networks + clearances, rack, trench room)", lambda x: f"{x.claimed_width:.2f} m"),
        row("  of which trench room beside the rack", lambda x: f"{x.trench_room_width:.2f} m"),
        row("Width left free", lambda x: f"{x.free_width:.2f} m"),
        row("Cross-section area claimed", lambda x: f"{x.claimed_area:.2f} m2 per m of street"),
        row("Trees meeting their root volume need",
            lambda x: f"{sum(t.meets_need for t in x.trees)} of {len(x.trees)}" + (
                f" (least free: {min(t.free_volume for t in x.trees):.1f} m3)" if x.trees else "")),
        row("Where a tree could be added (offset from the facade)", places),
        row("Expected excavation", lambda x: f"{x.excavation_per_100m_year:.2f} m3 per 100 m per year"),
        row("Networks exposed by those openings", lambda x: f"{x.exposures_per_100m_year:.3f} per 100 m per year"),
        row("Conflicts", lambda x: f"{x.conflicts} ("
            + ", ".join(f"{n} {k}" for k, n in sorted(x.conflicts_by_severity.items())) + ")" if x.conflicts else "0"),
        row("  by rule", lambda x: ", ".join(f"{n} {r}" for r, n in sorted(x.conflicts_by_rule.items())) or "-"),
    ]


def dig_rows(metrics: LayoutMetrics) -> list[list[str]]:
    return [[d.network, d.kind, d.access, f"{d.trench_area:.2f}", f"{d.volume:.2f}", ", ".join(d.exposed) or "-",
             f"{d.openings_per_100m_year:.3f}", f"{d.volume_per_100m_year:.3f}"] for d in metrics.digs]


DIG_HEADER = ["network", "kind", "access", "trench m2", "m3 per opening", "exposes", "openings /100 m/yr",
              "m3 /100 m/yr"]
TREE_HEADER = ["tree", "class", "root zone m3", "claimed m3", "free m3", "need m3", "meets need"]


def tree_rows(metrics: LayoutMetrics) -> list[list[str]]:
    return [[t.id, t.size_class, f"{t.zone_volume:.1f}", f"{t.claimed_volume:.1f}", f"{t.free_volume:.1f}",
             f"{t.need:.0f}", "yes" if t.meets_need else "NO"] for t in metrics.trees]


# --------------------------------------------------------------------------- #
# Writers                                                                     #
# --------------------------------------------------------------------------- #


def report_json(layouts: list[Layout]) -> str:
    """Every figure of every layout as JSON."""
    document = {"layouts": []}
    for layout in layouts:
        x = layout.metrics
        document["layouts"].append({
            "name": x.name, "file": x.file, "arrangement": x.arrangement,
            "street_width": round(x.street_width, 3), "sidewalk_width": round(x.sidewalk_width, 3),
            "sidewalk_need": round(x.sidewalk_need, 3), "fits_sidewalk": x.fits_sidewalk,
            "claimed_width": round(x.claimed_width, 3), "trench_room_width": round(x.trench_room_width, 3),
            "free_width": round(x.free_width, 3), "claimed_area_per_m": round(x.claimed_area, 3),
            "trees": [{"id": t.id, "class": t.size_class, "zone_m3": round(t.zone_volume, 2),
                       "claimed_m3": round(t.claimed_volume, 2), "free_m3": round(t.free_volume, 2),
                       "need_m3": t.need, "meets_need": t.meets_need} for t in x.trees],
            "tree_places": {c: [list(r) for r in ranges] for c, ranges in x.tree_places.items()},
            "digging": [{"network": d.network, "kind": d.kind, "access": d.access, "trench_m2": round(d.trench_area, 3),
                         "m3_per_opening": round(d.volume, 3), "exposes": d.exposed,
                         "openings_per_100m_year": round(d.openings_per_100m_year, 4),
                         "m3_per_100m_year": round(d.volume_per_100m_year, 4)} for d in x.digs],
            "excavation_m3_per_100m_year": round(x.excavation_per_100m_year, 3),
            "exposures_per_100m_year": round(x.exposures_per_100m_year, 4),
            "conflicts": x.conflicts, "conflicts_by_rule": x.conflicts_by_rule,
            "conflicts_by_severity": x.conflicts_by_severity,
        })
    document["how_computed"] = {title: text for title, text in HOW_COMPUTED}
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _data_uri(png: bytes | None) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode() if png else ""


def report_markdown(layouts: list[Layout]) -> str:
    """The report as Markdown with the pictures embedded as data URIs."""
    names = [layout.metrics.name for layout in layouts]
    lines = ["# vkls compare", "", "| | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [f"| {label} | " + " | ".join(cells) + " |" for label, cells in summary_rows(layouts)]
    for layout in layouts:
        lines += ["", f"## {layout.metrics.name}", "", f"File: `{layout.metrics.file}`", "", "### Digging", "",
                  "| " + " | ".join(DIG_HEADER) + " |", "|---" * len(DIG_HEADER) + "|"]
        lines += ["| " + " | ".join(r) + " |" for r in dig_rows(layout.metrics)]
        if layout.metrics.trees:
            lines += ["", "### Trees", "", "| " + " | ".join(TREE_HEADER) + " |", "|---" * len(TREE_HEADER) + "|"]
            lines += ["| " + " | ".join(r) + " |" for r in tree_rows(layout.metrics)]
        if layout.section_png:
            lines += ["", f"![cross-section of {layout.metrics.name}]({_data_uri(layout.section_png)})"]
        if layout.render_png:
            lines += ["", f"![3D view of {layout.metrics.name}]({_data_uri(layout.render_png)})"]
    lines += ["", "## How each figure is computed", ""]
    lines += [f"**{title}.** {text}\n" for title, text in HOW_COMPUTED]
    return "\n".join(lines) + "\n"


def report_html(layouts: list[Layout]) -> str:
    """A self-contained HTML page: the side-by-side table, pictures side by side, details, definitions."""
    esc = html.escape
    names = [layout.metrics.name for layout in layouts]
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>vkls compare</title><style>"
             "body{font-family:sans-serif;margin:1.5em;max-width:1800px}table{border-collapse:collapse;margin:0.5em 0}"
             "td,th{border:1px solid #aaa;padding:4px 8px;font-size:14px;vertical-align:top}th{background:#eee}"
             ".bad{color:#b00;font-weight:bold}.row{display:flex;gap:1em;align-items:flex-start;flex-wrap:wrap}"
             ".row figure{margin:0}.row img{max-width:100%}figcaption{font-size:13px;color:#333}"
             "</style></head><body><h1>vkls compare</h1>",
             "<table><tr><th></th>" + "".join(f"<th>{esc(n)}</th>" for n in names) + "</tr>"]
    for label, cells in summary_rows(layouts):
        parts.append(f"<tr><th style='text-align:left'>{esc(label)}</th>" + "".join(
            f"<td class='bad'>{esc(c)}</td>" if "NOT FIT" in c else f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    parts.append("</table>")
    widest = max(layout.metrics.street_width for layout in layouts)
    for title, attribute, same_scale in (("Cross-sections side by side, at the same scale", "section_png", True),
                                         ("3D views", "render_png", False)):
        figures = [(layout.metrics, getattr(layout, attribute)) for layout in layouts if getattr(layout, attribute)]
        if figures:
            parts.append(f"<h2>{title}</h2><div class='row'>" + "".join(
                f"<figure style='width:{_share(m, widest, len(figures), same_scale):.1f}%'>"
                f"<img src='{_data_uri(png)}' alt='{esc(title)} of {esc(m.name)}'>"
                f"<figcaption>{esc(m.name)}</figcaption></figure>" for m, png in figures) + "</div>")
    for layout in layouts:
        parts.append(f"<h2>{esc(layout.metrics.name)}</h2><p>File: <code>{esc(layout.metrics.file)}</code></p>")
        parts.append("<h3>Digging</h3>" + _html_table(DIG_HEADER, dig_rows(layout.metrics)))
        if layout.metrics.trees:
            parts.append("<h3>Trees</h3>" + _html_table(TREE_HEADER, tree_rows(layout.metrics)))
    parts.append("<h2>How each figure is computed</h2>")
    parts += [f"<p><b>{esc(title)}.</b> {esc(text)}</p>" for title, text in HOW_COMPUTED]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _share(metrics, widest: float, count: int, same_scale: bool) -> float:
    """Page width (%) of one figure in a row: equal shares, or shares proportional to the street
    width so that sections of streets of different widths keep one scale."""
    share = 98.0 / count
    return share * metrics.street_width / widest if same_scale else share


def _html_table(header, rows) -> str:
    esc = html.escape
    return ("<table><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"
            + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows) + "</table>")
