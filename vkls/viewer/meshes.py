"""Merged PyVista meshes from the scene arrays: one mesh per kind, never one actor per tube.

Every builder works on whole arrays with numpy (no Python loop per primitive) and returns
one :class:`pyvista.PolyData` whose cells carry the scene object index (cell data
``object``), so a picked cell names its object. Coordinates stay local (route origin
subtracted, z in metres NAP), as in the scene.

- :func:`tube_mesh`: capsule segments as open cylinders (``sides`` quads each) with radial
  point normals for smooth shading; chain ends are capped, bends are closed by extending the
  joined ends by one radius.
- :func:`box_mesh`: oriented boxes (rack parts), 8 points and 6 quads each.
- :func:`vertical_cylinder_mesh`: closed vertical cylinders (trunks, root zones).
- :func:`centre_lines`: the capsule axes as line cells (drawn a few pixels wide so that thin
  cables stay visible from afar).
- :func:`zone_strips`, :func:`soil_frame`: the ground surface per zone and the outline of the soil.
- :func:`scene_layers`: all of the above grouped into :class:`Layer` objects for a plotter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from vkls.viewer.colours import CONFLICT_COLOUR, GROUND_LINE_COLOUR, legend_text, style_of, surface_colour, tint

#: Sides of a tube's polygonal cross-section; fewer for very large scenes (see :func:`tube_sides`).
TUBE_SIDES = 12
#: Tubes are closed at bends by extending joined ends by one radius where the chain turns
#: by more than this angle (degrees); straight joints are left alone (no overlapping faces).
BEND_ANGLE = 5.0
#: Trunks are drawn from the ground up to this height (metres).
TRUNK_HEIGHT = 2.5
#: Route sampling step for the ground strips (metres); every route vertex is kept too.
GROUND_STEP = 2.0
#: Soil frame: this much below the deepest object (metres).
SOIL_MARGIN = 0.3
#: Opacity of the ground surface: translucent, so one sees the networks below.
GROUND_OPACITY = 0.25
#: Conflict overlay: radius factor and extra (metres) around the capsules in conflict.
OVERLAY_FACTOR, OVERLAY_EXTRA = 1.6, 0.015
#: Sleeves reach at most this far along the route from a conflict's worst spot (metres).
SLEEVE_HALF_LENGTH = 1.5
#: Conflict marker sphere radius (metres) and pin height above the ground (metres).
MARKER_RADIUS, PIN_HEIGHT = 0.10, 0.9


def tube_sides(n_segments: int) -> int:
    """Sides per tube: 12 up to 20,000 segments, 8 up to 100,000, then 6 (keeps big scenes light)."""
    if n_segments <= 20_000:
        return TUBE_SIDES
    return 8 if n_segments <= 100_000 else 6


def _perpendicular_frames(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors perpendicular to each unit vector of ``u`` (k, 3) and to each other."""
    helper = np.zeros_like(u)
    mostly_vertical = np.abs(u[:, 2]) > 0.9
    helper[~mostly_vertical, 2] = 1.0
    helper[mostly_vertical, 0] = 1.0
    v1 = np.cross(u, helper)
    v1 /= np.linalg.norm(v1, axis=1)[:, None]
    v2 = np.cross(u, v1)
    return v1, v2


def _joined_ends(a: np.ndarray, b: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k,) bool: whether each segment's start continues the previous segment (and its end the next)."""
    k = len(a)
    start_joined = np.zeros(k, dtype=bool)
    if k > 1:
        same = (owner[1:] == owner[:-1]) & np.all(np.abs(a[1:] - b[:-1]) < 1e-9, axis=1)
        start_joined[1:] = same
    end_joined = np.zeros(k, dtype=bool)
    end_joined[:-1] = start_joined[1:]
    return start_joined, end_joined


def tube_mesh(a: np.ndarray, b: np.ndarray, radius: np.ndarray, owner: np.ndarray | None = None,
              sides: int = TUBE_SIDES, band: np.ndarray | None = None):
    """One mesh of open cylinders around segments, capped at chain ends.

    Parameters
    ----------
    a, b : (k, 3) float64, metres
        Segment end points (local coordinates).
    radius : (k,) float64, metres
    owner : (k,) int64, optional
        Scene object of each segment (cell data ``object``); consecutive segments of one owner
        that share an end point form a chain (no cap between them; bends closed).
    sides : int
        Polygon sides of the cross-section.
    band : (k,) int, optional
        Cell data ``band`` per segment (0/1), for patterned tubes.

    Returns
    -------
    pyvista.PolyData
        ``2 * sides * k`` points, ``sides * k`` quads plus one ``sides``-gon per chain end;
        point data ``Normals`` (radial unit vectors), cell data ``object`` and ``band``.
    """
    import pyvista as pv

    a = np.asarray(a, dtype=np.float64).reshape(-1, 3)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 3)
    k = len(a)
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), (k,))
    owner = np.arange(k, dtype=np.int64) if owner is None else np.asarray(owner, dtype=np.int64)
    band = np.zeros(k, dtype=np.int64) if band is None else np.asarray(band, dtype=np.int64)
    if k == 0:
        return pv.PolyData()
    axis = b - a
    length = np.linalg.norm(axis, axis=1)
    keep = length > 1e-12
    u = np.zeros_like(axis)
    u[keep] = axis[keep] / length[keep, None]
    u[~keep] = (0.0, 0.0, 1.0)
    start_joined, end_joined = _joined_ends(a, b, owner)
    # Close bends: extend a joined end by one radius where the chain turns.
    turn = np.zeros(k, dtype=bool)
    if k > 1:
        cos_turn = np.einsum("ij,ij->i", u[1:], u[:-1])
        turn[1:] = start_joined[1:] & (cos_turn < np.cos(np.radians(BEND_ANGLE)))
    turn_next = np.zeros(k, dtype=bool)
    turn_next[:-1] = turn[1:]
    a = a - u * (radius * turn)[:, None]
    b = b + u * (radius * turn_next)[:, None]

    v1, v2 = _perpendicular_frames(u)
    angle = 2.0 * np.pi * np.arange(sides) / sides
    radial = np.cos(angle)[None, :, None] * v1[:, None, :] + np.sin(angle)[None, :, None] * v2[:, None, :]
    offsets = radial * radius[:, None, None]  # (k, sides, 3)
    points = np.stack([a[:, None, :] + offsets, b[:, None, :] + offsets], axis=1).reshape(-1, 3)
    normals = np.repeat(radial[:, None, :, :], 2, axis=1).reshape(-1, 3)

    base = (np.arange(k) * 2 * sides)[:, None]
    j = np.arange(sides)[None, :]
    jn = (j + 1) % sides
    quads = np.stack([base + j, base + jn, base + sides + jn, base + sides + j], axis=-1).reshape(-1, 4)
    quad_cells = np.hstack([np.full((len(quads), 1), 4), quads]).ravel()
    cap_start = np.flatnonzero(~start_joined)
    cap_end = np.flatnonzero(~end_joined)
    caps = np.vstack([(cap_start * 2 * sides)[:, None] + np.arange(sides)[::-1][None, :],
                      (cap_end * 2 * sides + sides)[:, None] + np.arange(sides)[None, :]])
    cap_cells = np.hstack([np.full((len(caps), 1), sides), caps]).ravel()
    mesh = pv.PolyData(points, faces=np.concatenate([quad_cells, cap_cells]).astype(np.int64))
    mesh.point_data["Normals"] = normals
    mesh.point_data.active_normals_name = "Normals"
    cell_owner = np.concatenate([np.repeat(owner, sides), owner[cap_start], owner[cap_end]])
    cell_band = np.concatenate([np.repeat(band, sides), band[cap_start], band[cap_end]])
    mesh.cell_data["object"] = cell_owner
    mesh.cell_data["band"] = cell_band
    return mesh


def centre_lines(a: np.ndarray, b: np.ndarray, owner: np.ndarray | None = None):
    """The segments as line cells (cell data ``object``): a few pixels wide when drawn.

    Returns
    -------
    pyvista.PolyData with ``2 k`` points and ``k`` lines.
    """
    import pyvista as pv

    a = np.asarray(a, dtype=np.float64).reshape(-1, 3)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 3)
    k = len(a)
    if k == 0:
        return pv.PolyData()
    points = np.stack([a, b], axis=1).reshape(-1, 3)
    lines = np.column_stack([np.full(k, 2), 2 * np.arange(k), 2 * np.arange(k) + 1]).ravel()
    mesh = pv.PolyData(points, lines=lines)
    mesh.cell_data["object"] = np.arange(k) if owner is None else np.asarray(owner, dtype=np.int64)
    return mesh


def box_mesh(centre: np.ndarray, half: np.ndarray, axes: np.ndarray, owner: np.ndarray | None = None,
             grow: float = 0.0, scale: float = 1.0):
    """Oriented boxes as one mesh: 8 points and 6 quads per box.

    Parameters
    ----------
    centre, half : (m, 3) float64, metres
        Centres and half extents along the box's own axes.
    axes : (m, 3, 3) float64
        ``axes[k, i]``: unit vector of local axis i (along, across, up).
    owner : (m,) int64, optional
        Cell data ``object``.
    grow, scale : float
        Half extents become ``half * scale + grow`` (conflict overlays).
    """
    import pyvista as pv

    centre = np.asarray(centre, dtype=np.float64).reshape(-1, 3)
    m = len(centre)
    if m == 0:
        return pv.PolyData()
    half = np.asarray(half, dtype=np.float64).reshape(-1, 3) * scale + grow
    axes = np.asarray(axes, dtype=np.float64).reshape(-1, 3, 3)
    signs = np.array([[-1, -1, -1], [1, -1, -1], [1, 1, -1], [-1, 1, -1],
                      [-1, -1, 1], [1, -1, 1], [1, 1, 1], [-1, 1, 1]], dtype=np.float64)
    corners = centre[:, None, :] + np.einsum("cj,mj,mjk->mck", signs, half, axes)
    faces = np.array([[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [2, 3, 7, 6], [1, 2, 6, 5], [3, 0, 4, 7]])
    quads = (np.arange(m) * 8)[:, None, None] + faces[None, :, :]
    mesh = pv.PolyData.from_regular_faces(corners.reshape(-1, 3), quads.reshape(-1, 4))
    mesh.cell_data["object"] = np.repeat(np.arange(m) if owner is None else np.asarray(owner, np.int64), 6)
    return mesh


def vertical_cylinder_mesh(xy: np.ndarray, z: np.ndarray, radius: np.ndarray, owner: np.ndarray | None = None,
                           sides: int = 40):
    """Closed vertical cylinders as one mesh.

    Parameters
    ----------
    xy : (c, 2) float64, metres
    z : (c, 2) float64, metres NAP (bottom, top)
    radius : (c,) float64, metres
    owner : (c,) int64, optional
        Cell data ``object``.

    Returns
    -------
    pyvista.PolyData with ``2 sides c`` points, ``sides c`` quads and two ``sides``-gons per cylinder.
    """
    import pyvista as pv

    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    c = len(xy)
    if c == 0:
        return pv.PolyData()
    z = np.asarray(z, dtype=np.float64).reshape(-1, 2)
    radius = np.broadcast_to(np.asarray(radius, dtype=np.float64), (c,))
    angle = 2.0 * np.pi * np.arange(sides) / sides
    ring = np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (sides, 2)
    rim = xy[:, None, :] + radius[:, None, None] * ring[None, :, :]
    bottom = np.concatenate([rim, np.broadcast_to(z[:, 0, None, None], (c, sides, 1))], axis=2)
    top = np.concatenate([rim, np.broadcast_to(z[:, 1, None, None], (c, sides, 1))], axis=2)
    points = np.stack([bottom, top], axis=1).reshape(-1, 3)
    base = (np.arange(c) * 2 * sides)[:, None]
    j = np.arange(sides)[None, :]
    jn = (j + 1) % sides
    quads = np.stack([base + j, base + jn, base + sides + jn, base + sides + j], axis=-1).reshape(-1, 4)
    caps = np.vstack([base + np.arange(sides)[::-1][None, :], base + sides + np.arange(sides)[None, :]])
    faces = np.concatenate([np.hstack([np.full((len(quads), 1), 4), quads]).ravel(),
                            np.hstack([np.full((len(caps), 1), sides), caps]).ravel()])
    mesh = pv.PolyData(points, faces=faces.astype(np.int64))
    owners = np.arange(c) if owner is None else np.asarray(owner, dtype=np.int64)
    mesh.cell_data["object"] = np.concatenate([np.repeat(owners, sides), owners, owners])
    return mesh


def _route_stations(alignment, step: float = GROUND_STEP) -> np.ndarray:
    return alignment.stations(step)


def street_width(street) -> float:
    """Total width of the zones, facade to the far edge, metres."""
    return float(sum(zone.width for zone in street.zones))


def zone_strips(street, alignment, step: float = GROUND_STEP) -> dict:
    """The ground surface as quad strips per zone, merged per surface kind.

    Returns
    -------
    dict surface -> pyvista.PolyData
        Quads at ground level (local coordinates), cell data ``zone`` (index into ``street.zones``).
    """
    import pyvista as pv

    stations = _route_stations(alignment, step)
    s = len(stations)
    ground = alignment.ground_level
    per_surface: dict[str, list] = {}
    position = 0.0
    for index, zone in enumerate(street.zones):
        near = alignment.place(stations, np.full(s, position))
        far = alignment.place(stations, np.full(s, position + zone.width))
        points = np.column_stack([np.vstack([near, far]), np.full(2 * s, ground)])
        i = np.arange(s - 1)
        quads = np.column_stack([i, i + 1, s + i + 1, s + i])
        mesh = pv.PolyData.from_regular_faces(points, quads)
        mesh.cell_data["zone"] = np.full(len(quads), index)
        per_surface.setdefault(zone.surface, []).append(mesh)
        position += zone.width
    return {surface: pv.merge(meshes) if len(meshes) > 1 else meshes[0] for surface, meshes in per_surface.items()}


def zone_edges(street, alignment, step: float = GROUND_STEP):
    """The facade line and every zone boundary (kerbs) at ground level, as polylines."""
    import pyvista as pv

    stations = _route_stations(alignment, step)
    s = len(stations)
    offsets = np.concatenate([[0.0], np.cumsum([zone.width for zone in street.zones])])
    points, lines = [], []
    for n, offset in enumerate(offsets):
        xy = alignment.place(stations, np.full(s, offset))
        points.append(np.column_stack([xy, np.full(s, alignment.ground_level)]))
        lines.append(np.concatenate([[s], n * s + np.arange(s)]))
    return pv.PolyData(np.vstack(points), lines=np.concatenate(lines))


def soil_frame(street, scene, step: float = GROUND_STEP):
    """Outline of the soil volume under the street: bottom edges along the route and the end faces.

    The bottom lies :data:`SOIL_MARGIN` below the deepest cable or pipe (at least 1.5 m deep).
    """
    import pyvista as pv

    alignment = scene.alignment
    ground = alignment.ground_level
    deepest = min(float(scene.cap_a[:, 2].min()) if scene.n_capsules else ground,
                  float(scene.cap_b[:, 2].min()) if scene.n_capsules else ground)
    real = scene.cap_r > 0
    if real.any():
        deepest = float(min(scene.cap_a[real, 2].min(), scene.cap_b[real, 2].min()) - scene.cap_r[real].max())
    bottom = min(deepest - SOIL_MARGIN, ground - 1.5)
    width = street_width(street)
    stations = _route_stations(alignment, step)
    s = len(stations)
    points, lines = [], []
    count = 0
    for offset in (0.0, width):
        xy = alignment.place(stations, np.full(s, offset))
        points.append(np.column_stack([xy, np.full(s, bottom)]))
        lines.append(np.concatenate([[s], count + np.arange(s)]))
        count += s
    for chainage in (0.0, alignment.length):
        xy = alignment.place(np.full(4, chainage), np.array([0.0, 0.0, width, width]))
        z = np.array([ground, bottom, bottom, ground])
        points.append(np.column_stack([xy, z]))
        lines.append(np.concatenate([[4], count + np.arange(4)]))
        count += 4
    return pv.PolyData(np.vstack(points), lines=np.concatenate(lines)), bottom


@dataclass
class Layer:
    """One merged mesh and how to draw it.

    Attributes
    ----------
    key : str
        Unique: ``network:water``, ``rack``, ``trunks``, ``rootzones``, ``ground:paving``, ``conflicts`` ...
    group : str
        What a toggle switches: ``networks``, ``rack``, ``trees``, ``ground``, ``conflicts``.
    title : str
        Legend text.
    mesh : pyvista.PolyData
    colour : str
    opacity : float
    band_colour : str or None
        Banded tubes: cells with ``band == 1`` take this colour.
    lines : pyvista.PolyData or None
        Centre lines drawn on top, ``line_width`` pixels wide.
    line_width : float
    smooth : bool
        Smooth shading (tubes and cylinders).
    pickable : bool
    legend : bool
        Listed in the legend.
    """

    key: str
    group: str
    title: str
    mesh: object
    colour: str
    opacity: float = 1.0
    band_colour: str | None = None
    lines: object | None = None
    line_width: float = 2.0
    smooth: bool = False
    pickable: bool = True
    legend: bool = True
    extra: dict = field(default_factory=dict)


@dataclass
class ConflictMarks:
    """Where conflicts are marked and what the labels say.

    Attributes
    ----------
    points : (q, 3) float64, metres (local)
        Witness points (the worst spot of each conflict).
    label_points : (g, 3) float64
        Label anchors, one per group of conflicts at one spot (pin tops above the ground).
    labels : list of str, (g,)
    conflict_index : (q,) int64
        Index into the conflict list of each marker.
    """

    points: np.ndarray
    label_points: np.ndarray
    labels: list
    conflict_index: np.ndarray


def involved_objects(scene, conflicts) -> set:
    """Scene object indices named by the conflicts."""
    index = {obj.id: n for n, obj in enumerate(scene.objects)}
    found = set()
    for conflict in conflicts:
        for obj_id in conflict.objects:
            if obj_id is not None and obj_id in index:
                found.add(index[obj_id])
    return found


def _rows_by_object(owner: np.ndarray, n_objects: int):
    """A function object index -> (k,) int64 rows of ``owner`` that belong to it (one sort, no scans)."""
    order = np.argsort(owner, kind="stable")
    bounds = np.searchsorted(owner[order], np.arange(n_objects + 1))
    return lambda obj: order[bounds[obj]:bounds[obj + 1]]


def conflict_overlay(scene, conflicts, sides: int = TUBE_SIDES):
    """Red translucent sleeves around the parts of each object in conflict, around the worst spot.

    A sleeve covers the conflict's stretch, but at most :data:`SLEEVE_HALF_LENGTH` either side of
    the worst spot, so that a conflict along a whole street does not paint the street red.

    Returns
    -------
    pyvista.PolyData or None
        Tubes (capsules) and boxes (rack parts), cell data ``conflict`` (index into ``conflicts``).
    """
    import pyvista as pv

    index = {obj.id: n for n, obj in enumerate(scene.objects)}
    cap_rows_of = _rows_by_object(scene.cap_object, len(scene.objects))
    box_rows_of = _rows_by_object(scene.box_object, len(scene.objects))
    cap_lo, cap_hi = scene.cap_chainage.min(axis=1), scene.cap_chainage.max(axis=1)
    box_lo, box_hi = scene.box_chainage.min(axis=1), scene.box_chainage.max(axis=1)
    cap_rows, cap_conflict, box_rows, box_conflict = [], [], [], []
    for c_index, conflict in enumerate(conflicts):
        start = max(conflict.chainage_start, conflict.chainage - SLEEVE_HALF_LENGTH) - 0.25
        end = min(conflict.chainage_end, conflict.chainage + SLEEVE_HALF_LENGTH) + 0.25
        for obj_id in conflict.objects:
            if obj_id is None or obj_id not in index:
                continue
            rows = cap_rows_of(index[obj_id])
            if scene.has_section:
                rows = rows[(scene.cap_r[rows] > 0) & (cap_hi[rows] >= start) & (cap_lo[rows] <= end)]
            else:
                rows = rows[(scene.cap_r[rows] > 0) & _near_spot(scene, rows, conflict, SLEEVE_HALF_LENGTH)]
            cap_rows.append(rows)
            cap_conflict.append(np.full(len(rows), c_index))
            rows = box_rows_of(index[obj_id])
            rows = rows[(box_hi[rows] >= start) & (box_lo[rows] <= end)]
            box_rows.append(rows)
            box_conflict.append(np.full(len(rows), c_index))
    meshes = []
    if cap_rows and sum(len(r) for r in cap_rows):
        rows = np.concatenate(cap_rows)
        tubes = tube_mesh(scene.cap_a[rows], scene.cap_b[rows], scene.cap_r[rows] * OVERLAY_FACTOR + OVERLAY_EXTRA,
                          owner=np.concatenate(cap_conflict), sides=sides)
        tubes.cell_data["conflict"] = tubes.cell_data["object"]
        meshes.append(tubes)
    if box_rows and sum(len(r) for r in box_rows):
        rows = np.concatenate(box_rows)
        boxes = box_mesh(scene.box_c[rows], scene.box_h[rows], scene.box_axes[rows],
                         owner=np.concatenate(box_conflict), scale=1.1, grow=0.01)
        boxes.cell_data["conflict"] = boxes.cell_data["object"]
        boxes.point_data["Normals"] = np.zeros((boxes.n_points, 3))
        meshes.append(boxes)
    if not meshes:
        return None
    if len(meshes) == 1:
        return meshes[0]
    for mesh in meshes:  # merge keeps only arrays that all meshes have
        mesh.point_data.pop("Normals", None)
    return pv.merge(meshes)


def conflict_marks(scene, conflicts, max_lines: int = 3, group_chainage: float = 1.0,
                   chainage_window: tuple[float, float] | None = None) -> ConflictMarks:
    """Marker points at each conflict's worst spot and one label per group of conflicts close along the route.

    Conflicts whose worst spots lie within ``group_chainage`` metres of chainage share a label:
    one line per pair (an object shared by every pair of the group is named once:
    ``R1/hc@10.0 ~ G1, H1, M1, W1``), at most ``max_lines`` lines, then ``+n more``. Labels sit
    on a pin :data:`PIN_HEIGHT` above the ground. With ``chainage_window``, a conflict whose worst
    spot lies outside the window is labelled where its stretch enters the window.
    """
    origin = scene.origin
    ground = scene.ground_level
    q = len(conflicts)
    points = np.array([[c.x - origin[0], c.y - origin[1], c.z] for c in conflicts], dtype=np.float64).reshape(q, 3)
    if chainage_window is not None:
        _move_into_window(scene, conflicts, points, chainage_window)
    # along a street, conflicts group by chainage; on a map (chainage along each object) by distance
    along = (lambda n: conflicts[n].chainage) if scene.has_section else (lambda n: float(points[n, 0]))
    order = sorted(range(q), key=along)
    groups: list[list[int]] = []
    for n in order:
        if groups and along(n) - along(groups[-1][0]) <= group_chainage and (
                scene.has_section or np.hypot(*(points[n, :2] - points[groups[-1][0], :2])) <= group_chainage):
            groups[-1].append(n)
        else:
            groups.append([n])
    label_points, labels = [], []
    for group in groups:
        anchor = points[group[0]].copy()
        anchor[2] = ground + PIN_HEIGHT
        label_points.append(anchor)
        labels.append(group_label([conflicts[n] for n in group], max_lines))
    return ConflictMarks(points=points, label_points=np.array(label_points, dtype=np.float64).reshape(-1, 3),
                         labels=labels, conflict_index=np.arange(q))


def _move_into_window(scene, conflicts, points: np.ndarray, window: tuple[float, float]) -> None:
    """Shift marker points of conflicts whose worst spot is outside ``window`` to the window's edge,
    keeping their offset from the facade and their height."""
    alignment = scene.alignment
    for n, conflict in enumerate(conflicts):
        if window[0] <= conflict.chainage <= window[1]:
            continue
        target = min(max(conflict.chainage, window[0]), window[1])
        point, _, direction = alignment.frame(np.array([conflict.chainage]))
        offset = float(np.dot(points[n, :2] - point[0], direction[0]) / max(np.dot(direction[0], direction[0]), 1e-12))
        points[n, :2] = alignment.place(np.array([target]), np.array([offset]))[0]


def group_label(conflicts, max_lines: int = 3) -> str:
    """Short text for conflicts at one spot: pairs, with an object common to all named once."""
    pairs = [tuple(o for o in c.objects if o) for c in conflicts]
    common = set(pairs[0]).intersection(*map(set, pairs[1:])) if len(pairs) > 1 else set()
    if common:
        shared = sorted(common)[0]
        others = [next((o for o in pair if o != shared), shared) for pair in pairs]
        lines = [f"{shared} ~ {', '.join(others)}"]
    else:
        lines = [" ~ ".join(pair) for pair in pairs]
    if len(lines) > max_lines:
        lines = lines[:max_lines] + [f"+{len(lines) - max_lines} more"]
    return "\n".join(lines)


def conflict_pins(marks: ConflictMarks, ground_level: float):
    """Vertical lines from each marker up to its label height (pins), as one mesh."""
    import pyvista as pv

    q = len(marks.points)
    if q == 0:
        return pv.PolyData()
    tops = marks.points.copy()
    tops[:, 2] = ground_level + PIN_HEIGHT
    points = np.stack([marks.points, tops], axis=1).reshape(-1, 3)
    lines = np.column_stack([np.full(q, 2), 2 * np.arange(q), 2 * np.arange(q) + 1]).ravel()
    mesh = pv.PolyData(points, lines=lines)
    mesh.cell_data["conflict"] = marks.conflict_index
    return mesh


def conflict_spheres(marks: ConflictMarks, radius: float = MARKER_RADIUS):
    """A sphere at each marker point, merged (cell data ``conflict``)."""
    import pyvista as pv

    q = len(marks.points)
    if q == 0:
        return pv.PolyData()
    sphere = pv.Sphere(radius=radius, theta_resolution=16, phi_resolution=12)
    n_cells = sphere.n_cells
    faces = sphere.faces.reshape(-1, 4)[:, 1:]
    points = (marks.points[:, None, :] + sphere.points[None, :, :]).reshape(-1, 3)
    all_faces = (np.arange(q) * sphere.n_points)[:, None, None] + faces[None, :, :]
    mesh = pv.PolyData.from_regular_faces(points, all_faces.reshape(-1, 3))
    mesh.cell_data["conflict"] = np.repeat(marks.conflict_index, n_cells)
    return mesh


def section_caps(scene, chainage: float, sides: int = 32):
    """Filled discs where the section plane at ``chainage`` cuts each main (cell data ``rgb``, ``object``).

    Each disc has the true radius, lies in the plane through ``place(chainage, 0)`` with the
    route tangent as normal, and takes its kind's colour (banded kinds: alternate sectors tinted).
    """
    import pyvista as pv

    from vkls.viewer.colours import hex_to_rgb

    _, tangent, _ = scene.alignment.frame(np.array([chainage]))
    t = np.array([tangent[0, 0], tangent[0, 1], 0.0])
    across = np.array([-t[1], t[0], 0.0])
    up = np.array([0.0, 0.0, 1.0])
    ground = scene.alignment.ground_level
    centres, radii, owners, colours = [], [], [], []
    for n, obj in enumerate(scene.objects):
        placement = scene.placements.get(obj.network) if obj.role == "main" else None
        if placement is None:
            continue
        xy = scene.alignment.place(np.full(len(placement.axis_offsets), chainage), np.array(placement.axis_offsets))
        style = style_of(obj.kind)
        for point in xy:
            centres.append([point[0], point[1], ground - placement.axis_depth])
            radii.append(placement.radius)
            owners.append(n)
            colours.append((style.colour, tint(style.colour) if style.banded else style.colour))
    c = len(centres)
    if c == 0:
        return pv.PolyData()
    centres = np.array(centres) - t * 1e-4  # just before the plane, so it is not clipped
    angle = 2.0 * np.pi * np.arange(sides) / sides
    ring = np.cos(angle)[:, None] * across[None, :] + np.sin(angle)[:, None] * up[None, :]
    rim = centres[:, None, :] + np.array(radii)[:, None, None] * ring[None, :, :]
    points = np.concatenate([centres[:, None, :], rim], axis=1).reshape(-1, 3)
    base = (np.arange(c) * (sides + 1))[:, None]
    j = np.arange(sides)[None, :]
    triangles = np.stack([base + np.zeros_like(j), base + 1 + j, base + 1 + (j + 1) % sides], axis=-1).reshape(-1, 3)
    mesh = pv.PolyData.from_regular_faces(points, triangles)
    sector_band = (np.arange(sides) // max(sides // 8, 1)) % 2
    rgb = np.array([[hex_to_rgb(pair[b]) for b in sector_band] for pair in colours]).reshape(-1, 3)
    mesh.cell_data["rgb"] = (rgb * 255).round().astype(np.uint8)
    mesh.cell_data["object"] = np.repeat(np.array(owners, dtype=np.int64), sides)
    return mesh


def network_label_points(scene, chainage_range: tuple[float, float] | None = None) -> tuple[np.ndarray, list]:
    """One label per network main, spread along the route so labels of stacked networks do not overlap.

    ``chainage_range``: spread the labels over this part of the route only.

    Returns
    -------
    points : (p, 3) float64 (local), labels : list of str (``W1 W``: id and kind code)
    """
    mains = [(n, obj) for n, obj in enumerate(scene.objects) if obj.role == "main"]
    if not scene.has_section:
        return _map_label_points(scene, mains)
    lo, hi = chainage_range if chainage_range is not None else (0.0, scene.alignment.length)
    points, labels = [], []
    for rank, (n, obj) in enumerate(mains):
        rows = np.flatnonzero(scene.cap_object == n)
        if len(rows) == 0:
            continue
        target = lo + (hi - lo) * (rank + 1) / (len(mains) + 1)
        mid = scene.cap_chainage[rows].mean(axis=1)
        row = rows[int(np.argmin(np.abs(mid - target)))]
        points.append((scene.cap_a[row] + scene.cap_b[row]) / 2)
        labels.append(f"{obj.id} {style_of(obj.kind).code}")
    return np.array(points, dtype=np.float64).reshape(-1, 3), labels


def scene_layers(street, scene, conflicts, conflicts_only: bool = False) -> list[Layer]:
    """Everything to draw, as merged layers: networks per kind, rack, trunks, root zones,
    ground per surface, soil frame, conflicts.

    Parameters
    ----------
    street : vkls.model.Street
    scene : vkls.geometry.scene.Scene
    conflicts : list of vkls.conflicts.Conflict
    conflicts_only : bool
        Only the objects named by a conflict (and the ground, faint rack and trees for context).
    """
    layers: list[Layer] = []
    kinds = np.array([obj.kind for obj in scene.objects], dtype=object)
    keep_object = np.ones(len(scene.objects), dtype=bool)
    if conflicts_only:
        keep_object[:] = False
        keep_object[list(involved_objects(scene, conflicts))] = True
    sides = tube_sides(scene.n_capsules)

    real = scene.cap_r > 0
    cap_kind = kinds[scene.cap_object] if scene.n_capsules else np.zeros(0, dtype=object)
    seen_kinds = []
    for obj in scene.objects:
        if obj.kind not in seen_kinds and obj.kind not in ("tree", "rootzone", "rack"):
            seen_kinds.append(obj.kind)
    for kind in _legend_order(seen_kinds):
        rows = np.flatnonzero(real & (cap_kind == kind) & keep_object[scene.cap_object])
        if len(rows) == 0:
            continue
        style = style_of(kind)
        band = None
        if style.banded:
            step = getattr(street, "segment_length", 1.0)  # a map (NetworkMap) has no segment length
            band = (np.floor(scene.cap_chainage[rows].mean(axis=1) / max(step, 1e-9)) % 2
                    ).astype(np.int64)
        mesh = tube_mesh(scene.cap_a[rows], scene.cap_b[rows], scene.cap_r[rows], owner=scene.cap_object[rows],
                         sides=sides, band=band)
        lines = centre_lines(scene.cap_a[rows], scene.cap_b[rows], scene.cap_object[rows])
        layers.append(Layer(key=f"network:{kind}", group="networks", title=legend_text(style), mesh=mesh,
                            colour=style.colour, band_colour=tint(style.colour) if style.banded else None,
                            lines=lines, smooth=True))

    box_kind = kinds[scene.box_object] if scene.n_boxes else np.zeros(0, dtype=object)
    for kind in dict.fromkeys(box_kind.tolist()):
        rows = np.flatnonzero(box_kind == kind)
        style = style_of(kind)
        mesh = box_mesh(scene.box_c[rows], scene.box_h[rows], scene.box_axes[rows], owner=scene.box_object[rows])
        if kind == "rack":
            faint = conflicts_only and not keep_object[scene.box_object[rows]].any()
            layers.append(Layer(key="rack", group="rack", title=legend_text(style), mesh=mesh, colour=style.colour,
                                opacity=0.25 if faint else 1.0))
        else:
            layers.append(Layer(key=f"boxes:{kind}", group="reservations", title=legend_text(style) + ", translucent",
                                mesh=mesh, colour=style.colour, opacity=0.2))

    if street.trees:
        xy = scene.alignment.place(np.array([t.chainage for t in street.trees]),
                                   np.array([t.offset for t in street.trees])) if scene.has_section else \
            np.array([t.xy for t in street.trees], dtype=np.float64) - scene.origin
        ground = scene.ground_level
        trunk_index = {obj.id: n for n, obj in enumerate(scene.objects) if obj.kind == "tree"}
        owners = np.array([trunk_index.get(t.id, -1) for t in street.trees], dtype=np.int64)
        trunks = vertical_cylinder_mesh(xy, np.tile([ground, ground + TRUNK_HEIGHT], (len(xy), 1)),
                                        np.array([t.trunk_diameter / 2 for t in street.trees]), owner=owners, sides=24)
        layers.append(Layer(key="trunks", group="trees", title=legend_text(style_of("tree")), mesh=trunks,
                            colour=style_of("tree").colour, smooth=True))
    if scene.n_cylinders:
        roots = vertical_cylinder_mesh(scene.cyl_xy, scene.cyl_z, scene.cyl_r, owner=scene.cyl_object)
        layers.append(Layer(key="rootzones", group="trees", title=legend_text(style_of("rootzone")) + ", translucent",
                            mesh=roots, colour=style_of("rootzone").colour, opacity=0.18, smooth=True))

    if not scene.has_section:  # a map: one flat translucent ground over the objects, no zones
        layers.append(Layer(key="ground", group="ground", title="ground surface", mesh=map_ground(scene),
                            colour=surface_colour("paving"), opacity=GROUND_OPACITY, pickable=False, legend=False))
    for surface, mesh in (zone_strips(street, scene.alignment) if scene.has_section else {}).items():
        layers.append(Layer(key=f"ground:{surface}", group="ground", title=f"surface: {surface}", mesh=mesh,
                            colour=surface_colour(surface), opacity=GROUND_OPACITY, pickable=False))
    if scene.has_section:
        frame, _ = soil_frame(street, scene)
        layers.append(Layer(key="edges", group="ground", title="facade, zone edges and soil outline",
                            mesh=pv_merge_lines(zone_edges(street, scene.alignment), frame),
                            colour=GROUND_LINE_COLOUR, opacity=0.8, pickable=False, legend=False))

    if conflicts:
        overlay = conflict_overlay(scene, conflicts, sides=sides)
        marks = conflict_marks(scene, conflicts)
        spheres = conflict_spheres(marks)
        if overlay is not None:
            layers.append(Layer(key="conflicts:sleeves", group="conflicts", title="conflict stretch (red sleeve)",
                                mesh=overlay, colour=CONFLICT_COLOUR, opacity=0.3, legend=False))
        layers.append(Layer(key="conflicts", group="conflicts", title="conflict: red ball, pin and id",
                            mesh=spheres, colour=CONFLICT_COLOUR,
                            lines=conflict_pins(marks, scene.ground_level),
                            line_width=3.0, smooth=True, extra={"marks": marks}))
    return layers


#: Maps label their mains only up to this many (a KLIC delivery has thousands; labels would hide the map).
MAP_LABEL_LIMIT = 60
#: The map's ground rectangle reaches this far beyond the objects (metres).
MAP_GROUND_MARGIN = 2.0


def _map_label_points(scene, mains: list) -> tuple[np.ndarray, list]:
    """Map scenes: one label per main at its middle segment, none when there are more than MAP_LABEL_LIMIT."""
    points, labels = [], []
    if len(mains) <= MAP_LABEL_LIMIT:
        for n, obj in mains:
            rows = np.flatnonzero(scene.cap_object == n)
            if len(rows):
                row = rows[len(rows) // 2]
                points.append((scene.cap_a[row] + scene.cap_b[row]) / 2)
                labels.append(f"{obj.id} {style_of(obj.kind).code}")
    return np.array(points, dtype=np.float64).reshape(-1, 3), labels


def _near_spot(scene, rows: np.ndarray, conflict, reach: float) -> np.ndarray:
    """(k,) bool: capsules ``rows`` that pass within ``reach`` metres (in plan) of the conflict's worst spot."""
    spot = np.array([conflict.x, conflict.y]) - scene.origin
    a, b = scene.cap_a[rows, :2], scene.cap_b[rows, :2]
    d = b - a
    t = np.clip(np.einsum("ij,ij->i", spot - a, d) / np.maximum(np.einsum("ij,ij->i", d, d), 1e-12), 0.0, 1.0)
    return np.hypot(*(a + d * t[:, None] - spot).T) <= reach


def map_ground(scene):
    """A flat rectangle at the ground surface over a map's objects (plus MAP_GROUND_MARGIN), one quad."""
    import pyvista as pv

    xy = np.vstack([scene.cap_a[:, :2], scene.cap_b[:, :2], scene.cyl_xy, scene.box_c[:, :2]])
    lo = (xy.min(axis=0) if len(xy) else np.zeros(2)) - MAP_GROUND_MARGIN
    hi = (xy.max(axis=0) if len(xy) else np.zeros(2)) + MAP_GROUND_MARGIN
    z = scene.ground_level
    corners = np.array([[lo[0], lo[1], z], [hi[0], lo[1], z], [hi[0], hi[1], z], [lo[0], hi[1], z]])
    return pv.PolyData.from_regular_faces(corners, np.array([[0, 1, 2, 3]]))


def pv_merge_lines(*meshes):
    """Merge line meshes into one PolyData."""
    import pyvista as pv

    meshes = [m for m in meshes if m.n_points]
    return pv.merge(meshes) if len(meshes) > 1 else meshes[0]


def _legend_order(kinds: list) -> list:
    from vkls.viewer.colours import NETWORK_STYLES

    known = [k for k in NETWORK_STYLES if k in kinds]
    return known + [k for k in kinds if k not in NETWORK_STYLES]
