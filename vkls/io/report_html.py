"""The check report as one self-contained HTML page, with pictures.

``vkls check FILE --format html -o report.html``: the summary, a 3D render of the street, the
table of conflicts with their explanations, and the cross-section drawn to scale at each
chainage where conflicts lie. Pictures are embedded (base64 PNG), so the file stands alone.

Conflicts whose worst spots lie within :data:`SECTION_GROUP` metres of each other share one
section (a section lists every conflict that covers its chainage). At most
:data:`MAX_SECTIONS` sections are drawn: the chainages with the most conflicts; the report
names the ones left out, for ``vkls section``.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from vkls.geometry.tolerances import REPORT_DECIMALS

#: Conflicts whose worst spots are this close along the route share a section (metres).
SECTION_GROUP = 0.5
#: Sections drawn at most.
MAX_SECTIONS = 20
#: Size of the 3D render, pixels.
RENDER_SIZE = (1400, 875)
#: Section pictures: width (inches) and resolution.
SECTION_WIDTH, SECTION_DPI = 12.0, 80

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1400px; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; width: 100%; }
th, td { border: 1px solid #ccc; padding: 3px 6px; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.conflict-overlap td { background: #fde8e8; }
img { max-width: 100%; border: 1px solid #ddd; }
.note { color: #555; font-size: 0.9em; }
figure { margin: 1.5em 0; } figcaption { font-size: 0.9em; color: #444; }
"""


def section_chainages(conflicts, group: float = SECTION_GROUP, limit: int = MAX_SECTIONS) -> tuple[list, list]:
    """Chainages to draw sections at, and the ones left out.

    Conflicts are grouped by the chainage of their worst spot (within ``group`` metres); the
    ``limit`` groups with the most conflicts are drawn, in route order.

    Returns
    -------
    drawn : list of (chainage, list of conflicts)
    left_out : list of (chainage, list of conflicts)
    """
    groups: list[list] = []
    for conflict in sorted(conflicts, key=lambda c: c.chainage):
        if groups and conflict.chainage - groups[-1][0].chainage <= group:
            groups[-1].append(conflict)
        else:
            groups.append([conflict])
    ranked = sorted(range(len(groups)), key=lambda k: (-len(groups[k]), groups[k][0].chainage))
    keep = sorted(ranked[:limit])
    left = sorted(ranked[limit:])
    return ([(groups[k][0].chainage, groups[k]) for k in keep], [(groups[k][0].chainage, groups[k]) for k in left])


def _user_norm_files(result) -> tuple[str, ...]:
    """The user's norms files among the ones the check read (the built-in ones come first)."""
    from vkls.rules.loader import default_norms_dir

    builtin = default_norms_dir().resolve()
    return tuple(f for f in result.norm_files if Path(f).resolve().parent != builtin)


def _png_tag(data: bytes, alt: str) -> str:
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{html.escape(alt)}">'


def report_html(result) -> str:
    """The check result as a self-contained HTML page (see the module docstring)."""
    from vkls.rules.loader import load_norms
    from vkls.viewer.render import png_bytes, render_image
    from vkls.viewer.section import draw_section

    street, scene, conflicts = result.street, result.scene, result.conflicts
    norms = load_norms(_user_norm_files(result))
    summary = result.summary()
    e = html.escape
    r = lambda v: "" if v is None else f"{v:.{REPORT_DECIMALS}f}"  # noqa: E731
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>vkls check: {e(street.name)}"
             f"</title><style>{_STYLE}</style></head><body>",
             f"<h1>vkls check: {e(street.name)}</h1>",
             f"<p>File <code>{e(str(street.source))}</code>, {e(street.arrangement.value)} arrangement, "
             f"{scene.alignment.length:.2f} m of route. vkls {e(result.version)}. "
             f"<b>{len(conflicts)} conflict(s)</b>"
             + (": " + ", ".join(f"{n} {e(rule)}" for rule, n in summary["by_rule"].items()) if conflicts else "")
             + ".</p>",
             "<p class=\"note\">Distances are metres, surface to surface; a negative actual distance is an overlap. "
             "Norms: " + ", ".join(f"<code>{e(Path(f).name)}</code>" for f in result.norm_files) + ".</p>"]
    image = render_image(street, scene, conflicts, view="iso", size=RENDER_SIZE)
    parts.append(f"<figure>{_png_tag(png_bytes(image), '3D view of the street')}<figcaption>The street in 3D: "
                 "cables and pipes in their KLIC colours (codes on the labels), the rack, trees and root zones, the "
                 "translucent ground; conflicts are red balls with pins and labels.</figcaption></figure>")
    parts.append("<h2>Conflicts</h2>")
    if conflicts:
        parts.append("<table><tr><th>id</th><th>rule</th><th>objects</th><th>regime</th><th>required</th>"
                     "<th>actual</th><th>chainage</th><th>severity</th><th>explanation</th></tr>")
        for c in conflicts:
            row_class = ' class="conflict-overlap"' if c.actual < 0 else ""
            objects = " ~ ".join(o for o in c.objects if o)
            parts.append(f"<tr{row_class}><td><code>{e(c.id)}</code></td><td>{e(c.rule)}</td><td>{e(objects)}</td>"
                         f"<td>{e(c.regime)}</td><td class=\"num\">{r(c.required)}</td><td class=\"num\">{r(c.actual)}"
                         f"</td><td class=\"num\">{c.chainage_start:.1f}&ndash;{c.chainage_end:.1f}</td>"
                         f"<td>{e(c.severity)}</td><td>{e(c.explanation)}</td></tr>")
        parts.append("</table>")
    else:
        parts.append("<p>No conflicts.</p>")
    drawn, left_out = section_chainages(conflicts)
    if drawn:
        parts.append("<h2>Cross-sections at the conflicts</h2>")
        parts.append(f"<p class=\"note\">One section per chainage where conflicts lie (conflicts within "
                     f"{SECTION_GROUP:g} m share one), at most {MAX_SECTIONS}: the chainages with the most conflicts. "
                     "Each section is drawn to scale and lists every conflict that covers its chainage.</p>")
        for chainage, group in drawn:
            data = draw_section(street, scene, conflicts, chainage, norms=norms, fmt="png", width=SECTION_WIDTH,
                                dpi=SECTION_DPI)
            ids = ", ".join(c.id for c in group)
            picture = _png_tag(data, f"section at chainage {chainage:.2f} m")
            parts.append(f"<figure id=\"section-{chainage:.2f}\">{picture}"
                         f"<figcaption>Section at chainage {chainage:.2f} m: worst spot of {e(ids)}.</figcaption>"
                         "</figure>")
    if left_out:
        listed = ", ".join(f"{chainage:.2f} m ({len(group)})" for chainage, group in left_out)
        parts.append(f"<p class=\"note\">{len(left_out)} more chainage(s) with conflicts are not drawn here: {listed}. "
                     "Draw one with <code>vkls section FILE --chainage M -o section.svg</code>.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
