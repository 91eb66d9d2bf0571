"""The cross-section at a chainage, drawn to scale with matplotlib (SVG or PNG).

What the drawing shows (section coordinates: ``x`` offset from the facade towards the street,
``y`` height relative to the ground surface, metres, equal scale on both axes):

- the surface zones as a coloured band on the ground line, with their names;
- every main as a circle of its true diameter (a bundle as touching circles), in its KLIC
  colour with its kind's hatch, labelled ``id code`` in a callout above the ground;
- house connections that lie in the section plane (within ``connection_window`` of the
  chainage) as their true-width path;
- the rack parts as grey rectangles: solid where the plane cuts them, a dashed outline where
  they stand behind it (uprights and beams repeat every ``post_spacing``);
- tree trunks (cut or behind) with their centre line, and the root zone where the plane cuts
  it as a hatched band down to the rootable depth;
- **envelopes**: a dashed ring around each main at its surface plus the clearance it must keep
  from its nearest neighbour in this section (clearance value, or the thermal value where the
  norms have one; the stacked value where the two overlap in plan, else the parallel one). A
  neighbour whose surface lies inside the ring is too close;
- conflicts of the check that cover this chainage: a red line between the two objects' nearest
  points and a numbered red marker, listed with id, rule and numbers under the drawing;
- dimension lines: each main's axis offset from the facade (along the top) and its cover depth
  (ground to top of pipe), and a scale bar.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np

from vkls.errors import InputError
from vkls.viewer import NO_ROUTE_FOR_SECTION
from vkls.viewer.colours import CONFLICT_COLOUR, GROUND_LINE_COLOUR, SOIL_COLOUR, style_of, surface_colour, tint

#: House connections this close to the section's chainage are drawn in it (metres).
CONNECTION_WINDOW = 0.5
#: Figure width, inches; the height follows the drawing's extent (equal scale).
FIGURE_WIDTH = 13.0
#: Resolution of PNG output, dots per inch.
PNG_DPI = 110
#: Rows of label callouts above the ground.
CALLOUT_ROWS = 3
#: Conflicts listed under the drawing; more are counted.
MAX_LISTED_CONFLICTS = 12
#: Room right of the detail view for its labels, inches.
DETAIL_LABEL_WIDTH = 1.9
#: The narrowest legend beside the rack detail (inches); a narrower figure puts it below the detail.
MIN_LEGEND_WIDTH = 5.5
#: Above-ground part of a trunk drawn, metres.
TRUNK_STUB = 0.5


@dataclass(frozen=True)
class SectionItem:
    """One object as it appears in the section.

    Attributes
    ----------
    object_index : int
        Index into ``scene.objects``.
    object_id, kind, role : str
    geometry : shapely geometry
        In section coordinates (x offset from the facade, y height relative to the ground), metres.
    cut : bool
        The plane cuts the object (False: it stands behind the plane, drawn as an outline).
    radius : float or None, metres (mains)
    axis : (float, float) or None
        Axis (offset, height) of a main (the middle cable of a bundle).
    """

    object_index: int
    object_id: str
    kind: str
    role: str
    geometry: object
    cut: bool = True
    radius: float | None = None
    axis: tuple[float, float] | None = None


def section_items(street, scene, chainage: float, connection_window: float = CONNECTION_WINDOW) -> list[SectionItem]:
    """Everything the section plane at ``chainage`` cuts (or, for rack parts and trunks, stands behind).

    Returns
    -------
    list of SectionItem: mains, house connections, rack parts, trunk axes, root zones.
    """
    import shapely
    from shapely.geometry import LineString, Point, box

    items: list[SectionItem] = []
    index = {obj.id: n for n, obj in enumerate(scene.objects)}
    ground = scene.alignment.ground_level
    for n, obj in enumerate(scene.objects):
        if obj.role != "main" or obj.network not in scene.placements:
            continue
        placement = scene.placements[obj.network]
        circles = [Point(x, -placement.axis_depth).buffer(placement.radius, 64) for x in placement.axis_offsets]
        middle = placement.axis_offsets[len(placement.axis_offsets) // 2]
        items.append(SectionItem(n, obj.id, obj.kind, obj.role, shapely.union_all(circles), True,
                                 placement.radius, (middle, -placement.axis_depth)))
    for n, obj in enumerate(scene.objects):
        if "connection" not in obj.role:
            continue
        rows = np.flatnonzero(scene.cap_object == n)
        if len(rows) == 0 or abs(float(scene.cap_chainage[rows].mean()) - chainage) > connection_window:
            continue
        conn_chainage = float(scene.cap_chainage[rows].mean())
        points = np.vstack([scene.cap_a[rows], scene.cap_b[rows][-1:]])
        offsets = _offsets(scene.alignment, conn_chainage, points[:, :2])
        path = LineString(np.column_stack([offsets, points[:, 2] - ground]))
        items.append(SectionItem(n, obj.id, obj.kind, obj.role, path.buffer(float(scene.cap_r[rows[0]]), 16), True,
                                 float(scene.cap_r[rows[0]])))
    rack = street.rack
    for part in scene.rack_parts:
        obj_id = f"rack/{part.id}"
        if obj_id not in index:
            continue
        cut = True
        if part.along is not None and rack is not None:
            posts = np.arange(rack.post_spacing / 2, scene.alignment.length, rack.post_spacing)
            cut = bool(len(posts)) and float(np.min(np.abs(posts - chainage))) <= part.along / 2
        items.append(SectionItem(index[obj_id], obj_id, "rack", part.name,
                                 box(part.offset_min, -part.depth_max, part.offset_max, -part.depth_min), cut))
    for reservation in getattr(street, "reservations", ()):
        if reservation.id in index and reservation.chainage_start <= chainage <= reservation.chainage_end:
            items.append(SectionItem(index[reservation.id], reservation.id, "reservation", "reservation",
                                     box(reservation.offset, -reservation.depth_bottom,
                                         reservation.offset + reservation.width, -reservation.depth_top)))
    for tree in street.trees:
        roots_id = f"{tree.id}/roots"
        roots = index.get(roots_id)
        if roots is None:
            continue
        row = int(np.flatnonzero(scene.cyl_object == roots)[0])
        radius = float(scene.cyl_r[row])
        distance = abs(chainage - tree.chainage)
        if distance >= radius:
            continue
        half = float(np.sqrt(radius ** 2 - distance ** 2))
        bottom = float(scene.cyl_z[row, 0]) - ground
        items.append(SectionItem(roots, roots_id, "rootzone", "root zone",
                                 box(max(tree.offset - half, 0.0), bottom, tree.offset + half, 0.0)))
        cut = distance <= tree.trunk_diameter / 2
        items.append(SectionItem(index.get(tree.id, roots), tree.id, "tree", "trunk",
                                 LineString([(tree.offset, TRUNK_STUB), (tree.offset, bottom)]), cut,
                                 tree.trunk_diameter / 2, (tree.offset, 0.0)))
    return items


def _offsets(alignment, chainage: float, xy: np.ndarray) -> np.ndarray:
    """Offsets from the facade of local points that lie in the section plane at ``chainage``."""
    point, _, direction = alignment.frame(np.array([chainage]))
    d = direction[0]
    return (xy - point[0]) @ d / float(d @ d)


def required_clearance(norms, kind_a: str, kind_b: str, stacked: bool, a_above_b: bool = False) -> float:
    """The clearance two kinds must keep (metres): the clearance entry (stacked: its crossing
    value, else parallel), or the thermal entry where the norms have one and it asks more."""
    entry = norms.clearance(kind_a, kind_b)
    value = entry.crossing if stacked else entry.parallel
    thermal = getattr(norms, "thermal", None) or {}
    for source, sensitive, sensitive_above in ((kind_a, kind_b, not a_above_b), (kind_b, kind_a, a_above_b)):
        th = thermal.get((source, sensitive))
        if th is None:
            continue
        if stacked:
            value = max(value, th.above if sensitive_above and hasattr(th, "above") else th.crossing)
        else:
            value = max(value, th.parallel)
    return float(value)


@dataclass(frozen=True)
class Envelope:
    """A dashed ring around a main: its surface plus the clearance to its nearest neighbour."""

    item: SectionItem
    neighbour: SectionItem
    required: float
    gap: float


def envelopes(items: list[SectionItem], scene, norms) -> list[Envelope]:
    """One envelope per main with a nearest neighbour (another network) in the section."""
    mains = [i for i in items if i.role == "main"]
    networks = [i for i in items if i.role == "main" or "connection" in i.role]
    out = []
    for item in mains:
        group = scene.objects[item.object_index].group
        others = [o for o in networks if scene.objects[o.object_index].group != group]
        if not others:
            continue
        distances = [item.geometry.distance(o.geometry) for o in others]
        nearest = others[int(np.argmin(distances))]
        x0, _, x1, _ = item.geometry.bounds
        n0, _, n1, _ = nearest.geometry.bounds
        stacked = min(x1, n1) > max(x0, n0)
        above = item.geometry.centroid.y > nearest.geometry.centroid.y
        required = required_clearance(norms, item.kind, nearest.kind, stacked, above)
        if required > 0:
            out.append(Envelope(item, nearest, required, float(min(distances))))
    return out


def conflicts_at(conflicts, chainage: float, window: float = CONNECTION_WINDOW) -> list:
    """Conflicts whose stretch covers ``chainage`` (point conflicts within ``window``)."""
    return [c for c in conflicts if c.chainage_start - window <= chainage <= c.chainage_end + window]


def draw_section(street, scene, conflicts, chainage: float, norms=None, fmt: str = "png",
                 width: float = FIGURE_WIDTH, dpi: int = PNG_DPI) -> bytes:
    """Draw the section at ``chainage`` and return the file's bytes.

    Parameters
    ----------
    street, scene, conflicts
        From :func:`vkls.pipeline.check`.
    chainage : float, metres
    norms : vkls.rules.loader.Norms, optional
        For the envelopes (default: the built-in norms).
    fmt : {"png", "svg"}
    width : float, inches
    dpi : int (PNG)

    Raises
    ------
    InputError
        A map without a route (a KLIC delivery), a chainage outside the route, or an unknown format.
    """
    if fmt not in ("png", "svg"):
        raise InputError(f"unknown picture format '{fmt}'; expected png or svg")
    figure = section_figure(street, scene, conflicts, chainage, norms=norms, width=width)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    figure.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


def section_figure(street, scene, conflicts, chainage: float, norms=None, width: float = FIGURE_WIDTH):
    """The matplotlib Figure of the section at ``chainage`` (see the module docstring).

    Layout, top to bottom: title; the whole section; with a rack, a detail of the rack at a
    larger scale (left) beside the legend and the list of conflicts (right), else legend and list.
    """
    from matplotlib import rcParams
    from matplotlib.figure import Figure

    if norms is None:
        from vkls.rules.loader import load_norms

        norms = load_norms()
    if not scene.has_section:
        raise InputError(NO_ROUTE_FOR_SECTION)
    length = scene.alignment.length
    if not (0.0 <= chainage <= length):
        raise InputError(f"chainage {chainage:g} m is outside the route (0 to {length:.2f} m)")
    rcParams["svg.hashsalt"] = "vkls"
    items = section_items(street, scene, chainage)
    here = conflicts_at(conflicts, chainage)
    street_w = sum(z.width for z in street.zones)
    deepest = min([i.geometry.bounds[1] for i in items] + [-1.5])
    x_min, x_max = -0.6, street_w + 0.3
    y_min, y_max = deepest - 0.45, 1.75
    main_w_in = width - 0.6
    scale = main_w_in / (x_max - x_min)  # inches per metre
    main_h_in = (y_max - y_min) * scale
    detail_box = _detail_box(street, items)
    listed = min(len(here), MAX_LISTED_CONFLICTS) + (1 if len(here) > MAX_LISTED_CONFLICTS else 0)
    list_h_in = 0.3 + 0.16 * listed
    legend_h_in = 0.2 + 0.19 * ((len(_legend_kinds(items)) + 3) // 2)
    if detail_box is not None:
        dx0, dy0, dx1, dy1 = detail_box
        room_in = max(1.0, width - 0.6 - DETAIL_LABEL_WIDTH)  # the detail and its side labels fit the figure
        detail_scale = min(5.0 / (dy1 - dy0), 4.0 / (dx1 - dx0), 3.0 * scale, room_in / (dx1 - dx0))
        detail_w_in, detail_h_in = (dx1 - dx0) * detail_scale, (dy1 - dy0) * detail_scale
        right_x = 0.3 + detail_w_in + DETAIL_LABEL_WIDTH + 0.3
        beside = width - right_x - 0.2 >= MIN_LEGEND_WIDTH  # else the legend and the list go below the detail
        if beside:
            footer_h_in = max(detail_h_in + 0.3, legend_h_in + list_h_in + 0.2)
        else:
            footer_h_in = detail_h_in + 0.5 + legend_h_in + 0.1 + list_h_in + 0.1
    else:
        footer_h_in = max(legend_h_in, list_h_in) + 0.1
    title = _title_lines(street.name, f"cross-section at chainage {chainage:.2f} m (route {length:.2f} m), looking "
                                      f"along the route, facade on the left; drawn to scale, metres", width)
    title_h_in = 0.5 + 0.16 * max(0, len(title) - 2)
    total_h = title_h_in + main_h_in + 0.15 + footer_h_in
    figure = Figure(figsize=(width, total_h))  # no pyplot: no global state, no GUI backend

    def frac(x_in, y_from_top_in, w_in, h_in):
        return [x_in / width, 1 - (y_from_top_in + h_in) / total_h, w_in / width, h_in / total_h]

    ax = figure.add_axes(frac(0.3, title_h_in, main_w_in, main_h_in))
    _setup(ax, x_min, x_max, y_min, y_max)
    points_per_metre = scale * 72
    _draw_soil_and_zones(ax, street, x_min, x_max, y_min)
    _draw_items(ax, items)
    rings = envelopes(items, scene, norms)
    _draw_envelopes(ax, rings)
    in_detail = _inside(detail_box)
    _draw_dimensions(ax, items, points_per_metre, skip=in_detail)
    _draw_callouts(ax, items, x_min, x_max, points_per_metre)
    numbered = _draw_conflicts(ax, items, here, hide_numbers_in=detail_box)
    _draw_scale_bar(ax, x_min, y_min, 2.0 if street_w >= 6 else 1.0)
    figure.text(0.3 / width, 1 - 0.12 / total_h, "\n".join(title), fontsize=9.5, va="top", linespacing=1.3)
    footer_top = title_h_in + main_h_in + 0.15
    if detail_box is not None:
        dx0, dy0, dx1, dy1 = detail_box
        detail = figure.add_axes(frac(0.3, footer_top + 0.25, detail_w_in, detail_h_in))
        _setup(detail, dx0, dx1, dy0, dy1)
        detail.set_axis_on()
        detail.set_xticks([])
        detail.set_yticks([])
        for spine in detail.spines.values():
            spine.set_color("#888888")
        _draw_soil_and_zones(detail, street, dx0, dx1, dy0, names=False)
        _draw_items(detail, items)
        _draw_envelopes(detail, rings)
        _draw_dimensions(detail, items, detail_scale * 72, only=in_detail, offsets=False)
        _draw_side_labels(detail, items, in_detail)
        _draw_conflicts(detail, items, here, numbers=numbered)
        _draw_scale_bar(detail, dx0, dy0, 0.5)
        figure.text(0.3 / width, 1 - (footer_top + 0.2) / total_h,
                    f"Detail: the VKLS rack, {detail_scale / scale:.1f} x the scale above", fontsize=8, va="bottom")
        left, top = (right_x, footer_top) if beside else (0.3, footer_top + 0.25 + detail_h_in + 0.25)
        _draw_legend(figure, items, frac(left, top, width - left - 0.2, legend_h_in))
        _draw_conflict_list(figure, numbered, len(here), frac(left, top + legend_h_in + 0.1, width - left - 0.2,
                                                                list_h_in))
    else:
        _draw_legend(figure, items, frac(0.3, footer_top, 0.45 * width, legend_h_in))
        _draw_conflict_list(figure, numbered, len(here), frac(0.5 * width, footer_top, 0.5 * width - 0.2, list_h_in))
    return figure


def _title_lines(name: str, subtitle: str, width: float) -> list[str]:
    """The title's lines, wrapped to a figure ``width`` inches wide (about 12 characters an inch at 9.5 pt)."""
    import textwrap

    characters = max(20, int((width - 0.4) * 12))
    return textwrap.wrap(name, characters) + textwrap.wrap(subtitle, characters)


def _setup(ax, x0, x1, y0, y1) -> None:
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()


def _detail_box(street, items) -> tuple[float, float, float, float] | None:
    """The rack region with room for labels (x0, y0, x1, y1), or None without a rack."""
    rack = street.rack
    if rack is None or not any(i.kind == "rack" for i in items):
        return None
    bottom = -rack.bottom_depth
    return (rack.offset - 0.35, bottom - 0.25, rack.offset + rack.width + 0.3, 0.3)


def _inside(box):
    """A predicate: is a main's axis inside ``box`` (always False without a box)."""
    def test(item) -> bool:
        if box is None or item.axis is None:
            return False
        x, y = item.axis
        return box[0] <= x <= box[2] and box[1] <= y <= box[3]
    return test


def _draw_soil_and_zones(ax, street, x_min, x_max, y_min, names: bool = True) -> None:
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x_min, y_min), x_max - x_min, -y_min, facecolor=SOIL_COLOUR, edgecolor="none", zorder=0))
    ax.plot([x_min, x_max], [0, 0], color=GROUND_LINE_COLOUR, lw=1.2, zorder=3)
    ax.plot([0, 0], [y_min + 0.1, 1.05], color=GROUND_LINE_COLOUR, lw=1.0, ls=(0, (6, 3)), zorder=3)
    if names:
        ax.text(-0.05, 1.05, "facade", rotation=90, ha="right", va="top", fontsize=7, color=GROUND_LINE_COLOUR)
    position = 0.0
    for zone in street.zones:
        ax.add_patch(Rectangle((position, 0), zone.width, 0.1, facecolor=surface_colour(zone.surface),
                               edgecolor=GROUND_LINE_COLOUR, lw=0.6, zorder=2))
        if names:
            ax.text(position + zone.width / 2, 0.13, f"{zone.name} ({zone.surface}, {zone.width:.2f} m)",
                    ha="center", va="bottom", fontsize=6.5, color="#333333", zorder=4, clip_on=True)
        position += zone.width


def _draw_items(ax, items) -> None:
    from matplotlib.patches import PathPatch, Rectangle

    for item in items:
        style = style_of(item.kind)
        if item.role == "root zone":
            x0, y0, x1, y1 = item.geometry.bounds
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=tint(style.colour, 0.75), alpha=0.45,
                                   edgecolor=style.colour, hatch="xx", lw=0.6, zorder=1))
            ax.text(x1 - 0.05, y0 + 0.05, f"root zone {item.object_id.split('/')[0]}", ha="right", va="bottom",
                    fontsize=6.5, color="#3d5a12", zorder=5, clip_on=True)
        elif item.role == "trunk":
            x = item.axis[0]
            r = item.radius
            ax.add_patch(Rectangle((x - r, 0), 2 * r, TRUNK_STUB, facecolor=style.colour if item.cut else "none",
                                   edgecolor=style.colour, lw=1.0, ls="-" if item.cut else "--", zorder=4))
            y_bottom = item.geometry.bounds[1]
            ax.plot([x, x], [0, y_bottom], color=style.colour, lw=0.8, ls=(0, (8, 3, 2, 3)), zorder=4)
            ax.text(x + r + 0.03, TRUNK_STUB, f"{item.object_id}" + ("" if item.cut else " (behind)"), fontsize=6.5,
                    va="top", color=style.colour, zorder=5, clip_on=True)
        elif item.role == "reservation":
            x0, y0, x1, y1 = item.geometry.bounds
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=tint(style.colour, 0.8), alpha=0.5,
                                   edgecolor=style.colour, hatch=style.hatch, ls=(0, (5, 3)), lw=0.8, zorder=1))
            ax.text((x0 + x1) / 2, y1 - 0.03, f"{item.object_id}\nreserved", ha="center", va="top", fontsize=6,
                    color="#444444", zorder=5, clip_on=True)
        elif item.kind == "rack":
            x0, y0, x1, y1 = item.geometry.bounds
            ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=style.colour if item.cut else "none",
                                   edgecolor="#4d5259", lw=0.6, ls="-" if item.cut else (0, (2, 1.5)),
                                   alpha=1.0 if item.cut else 0.9, zorder=2))
        else:
            patch = PathPatch(_path(item.geometry), facecolor=style.colour, edgecolor="black", lw=0.4,
                              hatch=style.hatch or None, zorder=6)
            if style.hatch:
                patch.set_edgecolor(_hatch_colour(style.colour))
            ax.add_patch(patch)
            ax.add_patch(PathPatch(_path(item.geometry), facecolor="none", edgecolor="black", lw=0.4, zorder=6))


def _hatch_colour(colour: str) -> str:
    from vkls.viewer.colours import hex_to_rgb

    r, g, b = hex_to_rgb(colour)
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.45 else "white"


def _path(geometry):
    """A matplotlib Path of a shapely (multi)polygon."""
    from matplotlib.path import Path

    polygons = getattr(geometry, "geoms", [geometry])
    vertices, codes = [], []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            coords = np.asarray(ring.coords)
            vertices.append(coords)
            codes += [Path.MOVETO] + [Path.LINETO] * (len(coords) - 2) + [Path.CLOSEPOLY]
    return Path(np.vstack(vertices), codes)


def _draw_envelopes(ax, rings: list[Envelope]) -> None:
    from matplotlib.patches import Circle

    for ring in rings:
        style = style_of(ring.item.kind)
        x, y = ring.item.axis
        ax.add_patch(Circle((x, y), ring.item.radius + ring.required, facecolor="none", edgecolor=style.colour,
                            lw=0.7, ls=(0, (4, 2.5)), alpha=0.8, zorder=5))


def _draw_dimensions(ax, items, points_per_metre: float, skip=None, only=None, offsets: bool = True) -> None:
    """Offsets of the main axes from the facade (along y = 0.45) and cover depths (vertical arrows).

    ``skip`` / ``only``: predicates on items for the cover depths (the detail view draws the rack's).
    """
    mains = sorted((i for i in items if i.role == "main"), key=lambda i: i.axis[0])
    if offsets and mains:
        y_dim = 0.45
        ax.plot([0, mains[-1].axis[0]], [y_dim, y_dim], color="#555555", lw=0.5, zorder=4)
        ax.plot([0, 0], [y_dim - 0.05, y_dim + 0.05], color="#555555", lw=0.6, zorder=4)
        ax.text(0.03, y_dim - 0.04, "axis offset from facade (m)", ha="left", va="top", fontsize=6, color="#333333")
        last_text = -1e9
        for x in sorted({round(i.axis[0], 3) for i in mains}):
            ax.plot([x, x], [y_dim - 0.05, y_dim + 0.05], color="#555555", lw=0.6, zorder=4)
            text_x = max(x, last_text + 7.5 / points_per_metre)
            ax.text(text_x, y_dim + 0.07, f"{x:.2f}", rotation=90, ha="center", va="bottom", fontsize=6,
                    color="#333333", zorder=4)
            last_text = text_x
    columns: list[tuple[float, float]] = []
    for item in sorted(mains, key=lambda i: -i.axis[1]):
        if (skip is not None and skip(item)) or (only is not None and not only(item)):
            continue
        x, y = item.axis
        cover = -(y + item.radius)
        x_line = x + item.radius + 6.0 / points_per_metre
        while any(abs(x_line - cx) < 6.0 / points_per_metre and cy > -cover for cx, cy in columns):
            x_line += 8.0 / points_per_metre
        columns.append((x_line, -cover))
        ax.annotate("", xy=(x_line, -cover), xytext=(x_line, 0), zorder=5,
                    arrowprops=dict(arrowstyle="<->", lw=0.5, color="#555555", shrinkA=0, shrinkB=0,
                                    mutation_scale=5))
        ax.text(x_line + 1.5 / points_per_metre, -cover + 2.0 / points_per_metre, f"{cover:.2f}", fontsize=5.5,
                color="#333333", va="bottom", ha="left", rotation=90, zorder=5)


def _draw_side_labels(ax, items, only) -> None:
    """Labels in a column right of the detail view, one per main inside it, with leader lines."""
    mains = sorted((i for i in items if i.role == "main" and only(i)), key=lambda i: -i.axis[1])
    y_lo, y_hi = ax.get_ylim()
    last = 1e9
    for item in mains:
        x, y = item.axis
        fraction = min((y - y_lo) / (y_hi - y_lo), last - 0.045)
        last = fraction
        style = style_of(item.kind)
        ax.annotate(f"{item.object_id} {style.code}  cover {-(y + item.radius):.2f} m", xy=(x + item.radius, y),
                    xycoords="data", xytext=(1.04, fraction), textcoords="axes fraction", fontsize=7, va="center",
                    ha="left", zorder=7, annotation_clip=False,
                    bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=style.colour, lw=1.2),
                    arrowprops=dict(arrowstyle="-", color="#777777", lw=0.4, shrinkA=0, shrinkB=0))


def _draw_callouts(ax, items, x_min, x_max, points_per_metre: float) -> None:
    """Labels ``id code`` above the ground in staggered rows, with leader lines to each main."""
    mains = sorted((i for i in items if i.role == "main"), key=lambda i: (i.axis[0], -i.axis[1]))
    if not mains:
        return
    font = 7.0
    texts = [f"{i.object_id} {style_of(i.kind).code}" for i in mains]
    widths = [(len(t) * 0.62 * font + 6) / points_per_metre for t in texts]
    rows = [k % CALLOUT_ROWS for k in range(len(mains))]
    positions = np.array([i.axis[0] for i in mains], dtype=float)
    for row in range(CALLOUT_ROWS):
        members = [k for k in range(len(mains)) if rows[k] == row]
        _spread(positions, widths, members, x_min + 0.05, x_max - 0.05)
    for k, item in enumerate(mains):
        y_label = 0.95 + 0.22 * rows[k]
        x, y = item.axis
        style = style_of(item.kind)
        ax.plot([positions[k], x], [y_label - 0.02, y + item.radius], color="#777777", lw=0.4, zorder=5)
        ax.text(positions[k], y_label, texts[k], ha="center", va="bottom", fontsize=font, zorder=7,
                bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor=style.colour, lw=1.2))


def _spread(positions: np.ndarray, widths: list, members: list, lo: float, hi: float) -> None:
    """Push labels of one row apart (in place) so they do not overlap, within [lo, hi]."""
    if not members:
        return
    for a, b in zip(members[:-1], members[1:]):
        positions[b] = max(positions[b], positions[a] + (widths[a] + widths[b]) / 2)
    last = members[-1]
    if positions[last] + widths[last] / 2 > hi:
        positions[last] = hi - widths[last] / 2
        for a, b in zip(reversed(members[:-1]), reversed(members[1:])):
            positions[a] = min(positions[a], positions[b] - (widths[a] + widths[b]) / 2)
    first = members[0]
    if positions[first] - widths[first] / 2 < lo:
        shift = lo - (positions[first] - widths[first] / 2)
        for k in members:
            positions[k] += shift


def _draw_conflicts(ax, items, conflicts, numbers: list | None = None, hide_numbers_in=None) -> list:
    """Red line between nearest points and a numbered marker per conflict; returns (number, conflict).

    ``numbers``: reuse an earlier numbering (the detail view repeats the main view's numbers);
    ``hide_numbers_in``: (x0, y0, x1, y1) where only the marker is drawn (the detail shows the number).
    """
    from shapely.geometry import LineString
    from shapely.ops import nearest_points

    by_id = {}
    for item in items:
        if item.role == "trunk":
            by_id[item.object_id] = LineString([(item.axis[0], 0.0), (item.axis[0], item.geometry.bounds[1])])
        elif item.role != "root zone":
            by_id[item.object_id] = item.geometry if item.object_id not in by_id else by_id[item.object_id]
    numbered = numbers if numbers is not None else list(enumerate(conflicts[:MAX_LISTED_CONFLICTS], start=1))
    used_points: list[tuple[float, float]] = []
    x_lo, x_hi = ax.get_xlim()
    y_lo, y_hi = ax.get_ylim()
    step = (y_hi - y_lo) / 40
    for number, conflict in numbered:
        a, b = (by_id.get(o) if o else None for o in conflict.objects)
        if a is None and b is None:
            continue
        if a is None or b is None:  # a one-object rule (cover depth, bend radius ...): mark the object
            pa = pb = (a or b).representative_point()
        elif a.intersects(b):
            overlap = a.intersection(b)
            pa = pb = overlap.representative_point()
        else:
            pa, pb = nearest_points(a, b)
        ax.plot([pa.x, pb.x], [pa.y, pb.y], color=CONFLICT_COLOUR, lw=1.6, zorder=8, solid_capstyle="round")
        mx, my = (pa.x + pb.x) / 2, (pa.y + pb.y) / 2
        ax.plot([mx], [my], marker="X", color=CONFLICT_COLOUR, markersize=7, markeredgecolor="white",
                markeredgewidth=0.6, zorder=9)
        if not (x_lo <= mx <= x_hi and y_lo <= my <= y_hi):
            continue
        if hide_numbers_in is not None and (hide_numbers_in[0] <= mx <= hide_numbers_in[2]
                                            and hide_numbers_in[1] <= my <= hide_numbers_in[3]):
            continue
        nx, ny = mx + step, my - step
        while any(abs(nx - ux) < 1.5 * step and abs(ny - uy) < step for ux, uy in used_points):
            ny -= 1.1 * step
        used_points.append((nx, ny))
        ax.text(nx, ny, str(number), fontsize=7, color="white", fontweight="bold", ha="center", va="center",
                zorder=10, bbox=dict(boxstyle="circle,pad=0.15", facecolor=CONFLICT_COLOUR, edgecolor="white", lw=0.5))
    return numbered


def _draw_scale_bar(ax, x_min, y_min, length: float) -> None:
    """A black-and-white bar ``length`` metres long in the lower left corner."""
    from matplotlib.patches import Rectangle

    unit = length / 20
    x0, y0 = x_min + 1.5 * unit, y_min + 1.2 * unit
    step = length / 4
    for k in range(4):
        ax.add_patch(Rectangle((x0 + k * step, y0), step, unit / 2, facecolor="black" if k % 2 == 0 else "white",
                               edgecolor="black", lw=0.5, zorder=9))
    for value in (0, length / 2, length):
        ax.text(x0 + value, y0 + 0.8 * unit, f"{value:g}", ha="center", va="bottom", fontsize=6, zorder=9)
    ax.text(x0 + length + unit, y0 + unit / 4, "m", va="center", fontsize=6, zorder=9)


def _legend_kinds(items) -> list:
    seen = []
    for item in items:
        if item.kind not in seen:
            seen.append(item.kind)
    return seen


def _draw_legend(figure, items, rect) -> None:
    """Kinds in the section with colour, hatch and code, and the symbols, in two columns."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    for kind in _legend_kinds(items):
        style = style_of(kind)
        if kind == "rack":
            handles.append(Patch(facecolor=style.colour, edgecolor="#4d5259", label="VKLS rack part (dashed: behind)"))
        elif kind == "rootzone":
            handles.append(Patch(facecolor=tint(style.colour, 0.75), edgecolor=style.colour, hatch="xx",
                                 label="root zone (where the plane cuts it)"))
        elif kind == "tree":
            handles.append(Patch(facecolor=style.colour, edgecolor=style.colour, label="tree trunk and centre line"))
        elif kind == "reservation":
            handles.append(Patch(facecolor=tint(style.colour, 0.8), edgecolor=style.colour, hatch=style.hatch,
                                 ls="--", label="reserved corridor"))
        else:
            edge = _hatch_colour(style.colour) if style.hatch else "black"
            handles.append(Patch(facecolor=style.colour, edgecolor=edge, hatch=style.hatch or None,
                                 label=f"{style.label} [{style.code}]"))
    handles.append(Line2D([], [], color="#555555", ls=(0, (4, 2.5)), label="envelope: clearance to nearest neighbour"))
    handles.append(Line2D([], [], color=CONFLICT_COLOUR, marker="X", lw=1.6, markeredgecolor="white",
                          label="conflict (numbered, listed below)"))
    ax = figure.add_axes(rect)
    ax.set_axis_off()
    ax.legend(handles=handles, loc="upper left", ncol=2, fontsize=7, frameon=False, handlelength=2.2,
              handleheight=1.2, borderaxespad=0.0, columnspacing=1.2)


def _draw_conflict_list(figure, numbered, total: int, rect) -> None:
    """The numbered conflicts of this section: id, rule, pair, actual and required distance."""
    ax = figure.add_axes(rect)
    ax.set_axis_off()
    if not numbered:
        ax.text(0, 1, "No conflicts at this chainage.", va="top", fontsize=7.5)
        return
    lines = []
    for number, c in numbered:
        pair = " ~ ".join(o for o in c.objects if o)
        lines.append(f"{number:>2}  {c.id}  {c.rule}  {pair}: {c.actual:.2f} m, required {c.required:.2f} m"
                     + (f" ({c.regime})" if c.regime != "n/a" else ""))
    if total > len(numbered):
        lines.append(f"    and {total - len(numbered)} more conflict(s) at this chainage (see the report)")
    ax.text(0, 1, "Conflicts at this chainage\n" + "\n".join(lines), va="top", fontsize=7, family="monospace",
            color="#222222", linespacing=1.35)
