"""The figures of a layout comparison, computed in the cross-section.

Section coordinates: ``x`` is the horizontal offset from the facade (metres), ``y`` the
depth below the ground surface (metres, positive down). Every figure is defined in the
report's section "How each figure is computed"; the definitions are repeated here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Point, box

from vkls.geometry.section import CARRIAGEWAY_SURFACES

#: Circles of cables and pipes are drawn as polygons with this many segments per quarter;
#: the area error of a 64-gon against its circle is below 0.2 %.
QUAD_SEGMENTS = 16
#: Slices along the route when integrating a root zone's free soil volume (midpoint rule);
#: the volume error is below 0.1 % for the circular zone.
ROOT_ZONE_SLICES = 400
#: Step of the scan for places where a new tree could stand, metres.
TREE_SCAN_STEP = 0.05
SIDEWALK_END_SURFACES = CARRIAGEWAY_SURFACES + ("parking",)
#: A profile "fits" its sidewalk up to this round-off (metres): widths in files have millimetres at most.
FIT_TOLERANCE = 1e-6


@dataclass
class TreeRoom:
    """Root room of one tree: rootable soil volume left in its root zone against its need (m3)."""

    id: str
    size_class: str
    zone_volume: float
    claimed_volume: float
    free_volume: float
    need: float

    @property
    def meets_need(self) -> bool:
        return bool(self.free_volume >= self.need)


@dataclass
class Dig:
    """What it takes to reach one network once."""

    network: str
    kind: str
    access: str
    trench_area: float  # m2 of section dug out
    volume: float  # m3 per opening (trench area x dig length)
    exposed: list[str]
    openings_per_100m_year: float

    @property
    def volume_per_100m_year(self) -> float:
        return self.volume * self.openings_per_100m_year


@dataclass
class LayoutMetrics:
    """All figures of one layout."""

    name: str
    file: str
    arrangement: str
    street_width: float
    sidewalk_width: float
    claimed_width: float
    claimed_area: float
    free_width: float
    sidewalk_need: float
    trench_room_width: float
    trees: list[TreeRoom] = field(default_factory=list)
    tree_places: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    digs: list[Dig] = field(default_factory=list)
    conflicts_by_rule: dict[str, int] = field(default_factory=dict)
    conflicts_by_severity: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0

    @property
    def fits_sidewalk(self) -> bool:
        return bool(self.sidewalk_need <= self.sidewalk_width + FIT_TOLERANCE)

    @property
    def excavation_per_100m_year(self) -> float:
        return sum(d.volume_per_100m_year for d in self.digs)

    @property
    def exposures_per_100m_year(self) -> float:
        return sum(len(d.exposed) * d.openings_per_100m_year for d in self.digs)


def street_width(street) -> float:
    return float(sum(z.width for z in street.zones))


def sidewalk_width(street) -> float:
    """Width of the leading zones up to the first carriageway or parking zone, metres."""
    width = 0.0
    for zone in street.zones:
        if zone.surface in SIDEWALK_END_SURFACES:
            break
        width += zone.width
    return width


def required_between(norms, kind_a: str, kind_b: str) -> float:
    """The largest distance (clearance or thermal, any regime) two kinds require, metres."""
    entry = norms.clearance(kind_a, kind_b)
    largest = max(entry.parallel, entry.crossing)
    for key in ((kind_a, kind_b), (kind_b, kind_a)):
        thermal = norms.thermal.get(key)
        if thermal is not None:
            largest = max(largest, thermal.parallel, thermal.crossing, thermal.above)
    return largest


def network_claims(street, scene, norms) -> dict[str, shapely.Geometry]:
    """Per network: its cables and pipes in the section, grown by half the distance it must keep
    to its nearest neighbour (the network closest to it in the section).

    Two neighbours whose claims just touch lie exactly at their required distance.
    """
    shapes = {n.id: shapely.union_all([Point(x, scene.placements[n.id].axis_depth)
                                       .buffer(scene.placements[n.id].radius, quad_segs=QUAD_SEGMENTS)
                                       for x in scene.placements[n.id].axis_offsets]) for n in street.networks}
    claims = {}
    for network in street.networks:
        others = [n for n in street.networks if n.id != network.id]
        grow = 0.0
        if others:
            nearest = min(others, key=lambda n: (shapes[network.id].distance(shapes[n.id]), n.id))
            grow = required_between(norms, network.kind.value, nearest.kind.value) / 2
        p = scene.placements[network.id]
        claims[network.id] = shapely.union_all([Point(x, p.axis_depth).buffer(p.radius + grow, quad_segs=QUAD_SEGMENTS)
                                                for x in p.axis_offsets])
    return claims


def rack_claim(street, norms) -> tuple[shapely.Geometry | None, shapely.Geometry | None]:
    """The rack's outline and the trench room beside it (kept free for digging), or (None, None)."""
    rack = street.rack
    if rack is None:
        return None, None
    outline = box(rack.offset, rack.cover_plate_depth, rack.offset + rack.width, rack.bottom_depth)
    far = rack.offset + rack.width
    trench = box(far, 0.0, far + norms.number("access.trench_width"), rack.bottom_depth)
    return outline, trench


def claimed_section(street, scene, norms) -> shapely.Geometry:
    """Union of every claim (networks, rack, rack trench room), clipped to the street and below ground."""
    parts = list(network_claims(street, scene, norms).values())
    outline, trench = rack_claim(street, norms)
    parts += [g for g in (outline, trench) if g is not None]
    limit = box(0.0, 0.0, street_width(street), 1e3)
    return shapely.union_all(parts).intersection(limit)


def projected_width(geometry: shapely.Geometry) -> float:
    """Length of the projection of a section geometry onto the surface (union of x-intervals), metres."""
    parts = getattr(geometry, "geoms", [geometry])
    intervals = sorted((g.bounds[0], g.bounds[2]) for g in parts if not g.is_empty)
    total, reach = 0.0, -np.inf
    for lo, hi in intervals:
        if hi <= reach:
            continue
        total += hi - max(lo, reach)
        reach = hi
    return total


def root_room(tree, claimed: shapely.Geometry, width: float, length: float, norms, size_class: str | None = None,
              slices: int = ROOT_ZONE_SLICES) -> TreeRoom:
    """Rootable soil left in a tree's root zone after the claims, integrated slice by slice along the route.

    The root zone is a vertical cylinder (radius max(crown + margin, factor x trunk diameter),
    from the surface to the rootable depth); only the part under the street (offsets 0 to the
    street width, chainage 0 to the route length) counts as soil.
    """
    size_class = size_class or tree.size_class
    radius = max(tree.crown_radius + norms.number("trees.root_zone_margin"),
                 norms.number("trees.root_zone_dbh_factor") * tree.trunk_diameter)
    depth = norms.number("trees.rootable_depth")
    edges = np.linspace(tree.chainage - radius, tree.chainage + radius, slices + 1)
    mids, ds = (edges[:-1] + edges[1:]) / 2, np.diff(edges)
    zone = claimed_volume = 0.0
    for s, step in zip(mids, ds):
        if not 0.0 <= s <= length:
            continue
        half = np.sqrt(max(radius ** 2 - (s - tree.chainage) ** 2, 0.0))
        lo, hi = max(0.0, tree.offset - half), min(width, tree.offset + half)
        if hi <= lo:
            continue
        slab = box(lo, 0.0, hi, depth)
        zone += slab.area * step
        claimed_volume += slab.intersection(claimed).area * step
    need = norms.number(f"trees.root_volume_need.{size_class}")
    return TreeRoom(tree.id, size_class, zone, claimed_volume, zone - claimed_volume, need)


def zone_surface_at(street, offset: float) -> str:
    """Surface of the zone at an offset from the facade ('' beyond the last zone)."""
    position = 0.0
    for zone in street.zones:
        if position <= offset < position + zone.width:
            return zone.surface
        position += zone.width
    return ""


def tree_places(street, scene, claimed, norms, step: float = TREE_SCAN_STEP) -> dict[str, list[tuple[float, float]]]:
    """Per size class, the offset ranges where a new tree could stand.

    A place qualifies when it is not under the carriageway, keeps the class trunk distance to
    every network, stays clear of the rack and its trench room, and leaves the class's root
    volume need free in its root zone (a tree of the class's typical size in the middle of the
    route).
    """
    from vkls.model import Tree

    width, length = street_width(street), scene.alignment.length
    outline, trench = rack_claim(street, norms)
    places = {}
    for size_class in ("1a", "1b", "2", "3"):
        distance = norms.number(f"trees.classes.{size_class}.trunk_distance")
        crown = norms.number(f"trees.typical.{size_class}.crown_radius")
        trunk = norms.number(f"trees.typical.{size_class}.trunk_diameter")
        ok = []
        for x in np.arange(step / 2, width, step):
            if zone_surface_at(street, x) in CARRIAGEWAY_SURFACES:
                ok.append(False)
                continue
            near = min((abs(x - o) - p.radius for p in scene.placements.values() for o in p.axis_offsets),
                       default=np.inf)
            blocked = any(g is not None and g.distance(Point(x, 0.5)) < trunk / 2 for g in (outline, trench))
            if near < distance or blocked:
                ok.append(False)
                continue
            tree = Tree("new", length / 2, float(x), size_class, trunk, crown)
            ok.append(root_room(tree, claimed, width, length, norms, slices=60).meets_need)
        places[size_class] = _ranges(np.arange(step / 2, width, step), np.array(ok, dtype=bool), step)
    return places


def _ranges(xs: np.ndarray, ok: np.ndarray, step: float) -> list[tuple[float, float]]:
    ranges = []
    start = None
    for x, good in zip(xs, ok):
        if good and start is None:
            start = x
        if not good and start is not None:
            ranges.append((round(float(start - step / 2), 3), round(float(x - step / 2), 3)))
            start = None
    if start is not None:
        ranges.append((round(float(start - step / 2), 3), round(float(xs[-1] + step / 2), 3)))
    return ranges


def digs(street, scene, norms) -> list[Dig]:
    """Per network: the trench that reaches it once, its volume, and the networks it exposes.

    Outside a rack: from the surface, over the network's width plus the working room on each
    side, down to its underside plus an allowance. On a rack: a trench beside the rack from the
    street side down to the network's level, then sideways into the rack at that level.
    """
    from vkls.rules.access import EXPOSE_TOLERANCE, AccessRule
    from vkls.rules.section_geometry import circle_rect_distance

    allowance = norms.number("digging.bottom_allowance")
    length = norms.number("digging.dig_length")
    total = norms.number("digging.openings_per_100m_year")
    trenches = AccessRule().trenches(scene, norms)
    per_kind: dict[str, int] = {}
    for network in street.networks:
        per_kind[network.kind.value] = per_kind.get(network.kind.value, 0) + 1
    result = []
    for network in street.networks:
        rects = trenches[network.id]
        deepened = [(x0, x1, y0, y1 + allowance if y0 == 0.0 else y1) for x0, x1, y0, y1 in rects]
        area = shapely.union_all([box(x0, y0, x1, y1) for x0, x1, y0, y1 in deepened]).area
        exposed = []
        for other in street.networks:
            if other.id == network.id:
                continue
            q = scene.placements[other.id]
            if min(circle_rect_distance(o, q.axis_depth, q.radius, r) for o in q.axis_offsets for r in rects) \
                    < -EXPOSE_TOLERANCE:
                exposed.append(other.id)
        kind = network.kind.value
        share = norms.optional(f"digging.share.{kind}")
        openings = (share.value if share else 0.0) * total / per_kind[kind]
        access = "beside the rack" if network.id in scene.rack_networks else "from the surface"
        result.append(Dig(network.id, kind, access, area, area * length, exposed, openings))
    return result


def sidewalk_networks(street, scene, norms, walk: float) -> list[str]:
    """Networks of the sidewalk profile: those placed in NEN 7171 strips or on the rack, and those of
    a sidewalk kind that the design itself puts under the sidewalk. A strip that overflows a narrow
    sidewalk still counts; a cable the designer laid along the carriageway kerb does not."""
    kinds = set(norms.get("placement.sidewalk_order").value)
    chosen = []
    for network in street.networks:
        p = scene.placements[network.id]
        placed_by_vkls = p.how == "NEN 7171 strip" or p.how.startswith("rack level")
        if placed_by_vkls or (network.kind.value in kinds and min(p.axis_offsets) < walk):
            chosen.append(network.id)
    return chosen


def layout_metrics(result, norms) -> LayoutMetrics:
    """Every figure of one checked layout (a :class:`vkls.pipeline.CheckResult`)."""
    street, scene = result.street, result.scene
    claimed = claimed_section(street, scene, norms)
    width, walk = street_width(street), sidewalk_width(street)
    outline, trench = rack_claim(street, norms)
    claims = network_claims(street, scene, norms)
    sidewalk_parts = [claims[i] for i in sidewalk_networks(street, scene, norms, walk)]
    sidewalk_parts += [g for g in (outline, trench) if g is not None]
    need = max((g.bounds[2] for g in sidewalk_parts), default=0.0)
    claimed_width = projected_width(claimed)
    summary = result.summary()
    length = scene.alignment.length
    return LayoutMetrics(
        name=street.name, file=street.source, arrangement=street.arrangement.value, street_width=width,
        sidewalk_width=walk, claimed_width=claimed_width, claimed_area=claimed.area, free_width=width - claimed_width,
        sidewalk_need=need, trench_room_width=projected_width(trench) if trench is not None else 0.0,
        trees=[root_room(t, claimed, width, length, norms) for t in street.trees],
        tree_places=tree_places(street, scene, claimed, norms), digs=digs(street, scene, norms),
        conflicts_by_rule=summary["by_rule"], conflicts_by_severity=summary["by_severity"],
        conflicts=summary["conflicts"],
    )
