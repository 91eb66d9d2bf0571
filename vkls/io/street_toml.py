"""Read a street file (TOML) into a :class:`vkls.model.Street`.

The format is documented with a complete example in the README ("The street file").
Every error names the file and the key path, e.g.
``street.toml: networks[2].diameter: must be greater than 0, got -0.1``.
"""

from __future__ import annotations

import tomllib

import numpy as np
import shapely

from vkls.errors import InputError
from vkls.io.fields import MAX_COORDINATE, Fields
from vkls.model import (MAX_CROWN_RADIUS, MAX_TRUNK_DIAMETER, Arrangement, ConnectionSpec, Network, NetworkKind,
                        Rack, RackLevel, Reservation, Route, Street, Tree, Zone)
from vkls.rules.loader import Norms

SURFACES = ("paving", "asphalt", "carriageway", "parking", "cycle", "green", "tree_strip", "verge")
SIZE_CLASSES = ("1a", "1b", "2", "3")
KINDS = tuple(k.value for k in NetworkKind)
MIN_LEG_LENGTH = 1e-3  # metres; shorter route legs are duplicate vertices, not geometry
#: The shortest segment length (metres): finer sampling adds no accuracy to capsules of centimetres
#: and millions of segments per metre of street would fill the memory.
MIN_SEGMENT_LENGTH = 0.05
#: The smallest spacing of house connections and trees in a row (metres).
MIN_SPACING = 0.5


def read_street(path: str, norms: Norms) -> Street:
    """Parse and validate a street file.

    Parameters
    ----------
    path : str
        The TOML file.
    norms : Norms
        Supplies defaults for values the file leaves out (diameters, depths, rack sizes).

    Raises
    ------
    InputError
        On any malformed or impossible input, naming the file and key.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        document = tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))  # Notepad writes a byte-order mark
    except FileNotFoundError:
        raise InputError("file not found", source=path) from None
    except IsADirectoryError:
        raise InputError("is a folder, expected a street file (.toml)", source=path) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"not valid TOML: {error}", source=path) from None
    except UnicodeDecodeError:
        raise InputError("not a text (TOML) file", source=path) from None
    root = Fields(document, path, "")
    root.allow_only("street", "route", "zones", "networks", "rack", "trees", "tree_rows", "connections",
                    "reservations")
    head = root.sub("street")
    head.allow_only("name", "arrangement", "segment_length")
    arrangement = Arrangement(head.text("arrangement", "horizontal", choices=tuple(a.value for a in Arrangement)))
    route = _route(root.sub("route"))
    route_length = float(shapely.LineString(route.xy).length)
    zones = tuple(_zone(z) for z in root.tables("zones"))
    if not zones:
        raise root.error("zones", "at least one [[zones]] entry is needed (the cross-section from the facade out)")
    networks = tuple(_network(n, norms, arrangement) for n in root.tables("networks"))
    if not networks:
        raise root.error("networks", "at least one [[networks]] entry is needed")
    _unique_ids(root, "networks", [n.id for n in networks])
    rack = None
    if arrangement is Arrangement.VKLS:
        rack = _rack(root.sub("rack"), norms, networks)
    elif root.has("rack"):
        raise root.error("rack", "a [rack] needs street.arrangement = \"vkls\"")
    trees = tuple(_tree(t) for t in root.tables("trees")) + _tree_rows(root.tables("tree_rows"), route_length)
    _unique_ids(root, "trees", [t.id for t in trees])
    for tree, fields in zip(trees, root.tables("trees")):
        if tree.chainage > route_length:
            raise fields.error("chainage", f"lies beyond the end of the route ({route_length:.2f} m)")
    connections = tuple(c for f in root.tables("connections") for c in _connections(f, networks, norms))
    reservations = tuple(_reservation(f, route_length) for f in root.tables("reservations"))
    _unique_ids(root, "reservations", [r.id for r in reservations])
    _unique_ids(root, "objects", [n.id for n in networks] + [t.id for t in trees] + [r.id for r in reservations])
    return Street(
        name=head.text("name", path), source=path, route=route, zones=zones, arrangement=arrangement,
        networks=networks, rack=rack, trees=trees, connections=connections, reservations=reservations,
        segment_length=head.number("segment_length", 1.0, minimum=MIN_SEGMENT_LENGTH),
    )


def _route(fields: Fields) -> Route:
    fields.allow_only("coordinates", "ground_level", "street_side")
    raw = fields.table.get("coordinates")
    if raw is None:
        raise fields.error("coordinates", "missing required key (a list of [x, y] in RD New metres)")
    try:
        xy = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise fields.error("coordinates", "expected a list of [x, y] pairs of numbers") from None
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise fields.error("coordinates", "expected a list of [x, y] pairs of numbers")
    if len(xy) < 2:
        raise fields.error("coordinates", f"a route needs at least 2 points, got {len(xy)}")
    bad = np.flatnonzero(~np.isfinite(xy).all(axis=1))
    if len(bad):
        raise fields.error("coordinates", f"point {bad[0]} is not finite: {xy[bad[0]].tolist()}")
    legs = np.hypot(*np.diff(xy, axis=0).T)
    short = np.flatnonzero(legs < MIN_LEG_LENGTH)
    if len(short):
        raise fields.error("coordinates", f"points {short[0]} and {short[0] + 1} coincide (zero-length leg)")
    line = shapely.LineString(xy)
    if not line.is_simple:
        raise fields.error("coordinates", "the route intersects itself")
    if not (np.abs(xy) < MAX_COORDINATE).all():
        raise fields.error("coordinates",
                           f"coordinates beyond {MAX_COORDINATE:,.0f} m: expected RD New (EPSG:28992) metres")
    ground = fields.number("ground_level", 0.0, minimum=-100.0, maximum=1000.0)
    side = fields.text("street_side", "right", choices=("left", "right"))
    return Route(xy=xy, ground_level=ground, street_side=side)


def _zone(fields: Fields) -> Zone:
    fields.allow_only("name", "width", "surface")
    return Zone(name=fields.text("name"), width=fields.number("width", strictly_positive=True),
                surface=fields.text("surface", choices=SURFACES))


def _network(fields: Fields, norms: Norms, arrangement: Arrangement) -> Network:
    fields.allow_only("id", "kind", "owner", "diameter", "count", "offset", "depth", "accuracy_xy",
                      "accuracy_depth")
    kind = NetworkKind(fields.text("kind", choices=KINDS))
    default_diameter = norms.number(f"networks.{kind.value}.diameter")
    return Network(
        id=fields.text("id"), kind=kind, owner=fields.text("owner", "unknown"),
        diameter=fields.number("diameter", default_diameter, strictly_positive=True, maximum=5.0),
        count=fields.integer("count", 1, minimum=1),
        offset=fields.number("offset", None, minimum=0.0),
        depth=fields.number("depth", None, minimum=0.0, maximum=50.0),
        accuracy_xy=fields.number("accuracy_xy", 0.0, maximum=10.0),
        accuracy_depth=fields.number("accuracy_depth", 0.0, maximum=10.0),
    )


def _rack(fields: Fields, norms: Norms, networks: tuple[Network, ...]) -> Rack:
    fields.allow_only("offset", "width", "sides", "post_spacing", "levels", "post_size", "beam_height",
                      "plate_thickness", "top_depth", "bottom_depth", "level_pitch")
    default = lambda key: norms.number(f"placement.rack_{key}")  # noqa: E731
    sides = fields.integer("sides", 1, minimum=1)
    if sides > 2:
        raise fields.error("sides", f"a rack is single (1) or double sided (2), got {sides}")
    top = fields.number("top_depth", default("top_depth"), strictly_positive=True)
    pitch = fields.number("level_pitch", default("level_pitch"), strictly_positive=True)
    known = {n.id: n for n in networks}
    levels: list[RackLevel] = []
    placed: set[str] = set()
    for level in fields.tables("levels"):
        level.allow_only("depth", "networks", "side")
        ids = level.text_list("networks")
        for network_id in ids:
            if network_id not in known:
                raise level.error("networks", f"unknown network '{network_id}'")
            if network_id in placed:
                raise level.error("networks", f"network '{network_id}' is on two levels")
            if known[network_id].offset is not None:
                raise level.error("networks", f"network '{network_id}' has an offset and a rack level")
            placed.add(network_id)
        side = level.text("side", "street", choices=("street", "facade"))
        if side == "facade" and sides == 1:
            raise level.error("side", "a single-sided rack has no facade half; set rack.sides = 2")
        levels.append(RackLevel(depth=level.number("depth", strictly_positive=True), networks=ids, side=side))
    levels += _default_levels(norms, networks, placed, top, pitch, len(levels))
    levels.sort(key=lambda lv: lv.depth)
    rack = Rack(
        offset=fields.number("offset", 0.3, minimum=0.0),
        width=fields.number("width", default("width"), strictly_positive=True),
        sides=sides,
        post_spacing=fields.number("post_spacing", default("post_spacing"), strictly_positive=True),
        levels=tuple(levels),
        post_size=fields.number("post_size", default("post_size"), strictly_positive=True),
        beam_height=fields.number("beam_height", default("beam_height"), strictly_positive=True),
        plate_thickness=fields.number("plate_thickness", default("plate_thickness"), strictly_positive=True),
        cover_plate_depth=min((lv.depth for lv in levels), default=top) - default("cover_gap")
        - fields.number("plate_thickness", default("plate_thickness"), strictly_positive=True),
        bottom_depth=fields.number("bottom_depth", default("bottom_depth"), strictly_positive=True),
    )
    if rack.cover_plate_depth <= 0:
        raise fields.error("levels", "the top level leaves no room for the protection plate above it "
                                     f"({default('cover_gap'):g} m gap + {rack.plate_thickness:g} m plate)")
    deepest = max((lv.depth + max(known[n].diameter for n in lv.networks) for lv in rack.levels), default=0.0)
    if deepest + rack.beam_height + rack.plate_thickness > rack.bottom_depth:
        raise fields.error("bottom_depth", f"{rack.bottom_depth:g} m is above the lowest level's beam "
                                           f"({deepest + rack.beam_height:.2f} m); lower it or raise the levels")
    if rack.post_spacing < rack.post_size:
        raise fields.error("post_spacing", "is smaller than the uprights themselves")
    return rack


def _default_levels(norms: Norms, networks, placed: set[str], top: float, pitch: float,
                    first_index: int) -> list[RackLevel]:
    """Levels for rack networks the file does not place: one level per kind in VKLS order."""
    carriageway = {key.split(".")[-1] for key in norms.values if key.startswith("placement.carriageway_fraction.")}
    order = list(norms.get("placement.vkls_order").value)
    pending = [n for n in networks if n.id not in placed and n.offset is None
               and not (n.kind.value in carriageway and n.kind.value not in order)]
    levels = []
    index = first_index
    for kind in order:
        ids = tuple(n.id for n in pending if n.kind.value == kind)
        if ids:
            levels.append(RackLevel(depth=top + index * pitch, networks=ids))
            index += 1
    return levels


def _tree(fields: Fields) -> Tree:
    fields.allow_only("id", "chainage", "offset", "size_class", "trunk_diameter", "crown_radius", "root_barrier")
    return Tree(id=fields.text("id"), chainage=fields.number("chainage"), offset=fields.number("offset"),
                **_tree_attributes(fields))


def _tree_attributes(fields: Fields) -> dict:
    barrier = fields.table.get("root_barrier", False)
    if not isinstance(barrier, bool):
        raise fields.error("root_barrier", f"expected true or false, got {barrier!r}")
    return dict(size_class=fields.text("size_class", choices=SIZE_CLASSES),
                trunk_diameter=fields.number("trunk_diameter", strictly_positive=True, maximum=MAX_TRUNK_DIAMETER),
                crown_radius=fields.number("crown_radius", strictly_positive=True, maximum=MAX_CROWN_RADIUS),
                root_barrier=barrier)


def _reservation(fields: Fields, route_length: float) -> Reservation:
    fields.allow_only("id", "purpose", "offset", "width", "depth_top", "depth_bottom", "chainage_start",
                      "chainage_end")
    top = fields.number("depth_top", 0.0)
    bottom = fields.number("depth_bottom", strictly_positive=True, maximum=50.0)
    if bottom <= top:
        raise fields.error("depth_bottom", f"must lie below depth_top ({top:g} m), got {bottom:g}")
    start = fields.number("chainage_start", 0.0)
    end = fields.number("chainage_end", route_length)
    if end <= start:
        raise fields.error("chainage_end", f"must be greater than chainage_start ({start:g}), got {end:g}")
    return Reservation(id=fields.text("id"), purpose=fields.text("purpose", "future network"),
                       offset=fields.number("offset"), width=fields.number("width", strictly_positive=True),
                       depth_top=top, depth_bottom=bottom, chainage_start=start,
                       chainage_end=min(end, route_length))


def _tree_rows(rows: list[Fields], route_length: float) -> tuple[Tree, ...]:
    trees = []
    for index, fields in enumerate(rows):
        fields.allow_only("prefix", "start", "spacing", "end", "offset", "size_class", "trunk_diameter",
                          "crown_radius", "root_barrier")
        spacing = fields.number("spacing", minimum=MIN_SPACING)
        start = fields.number("start", spacing / 2)
        end = fields.number("end", route_length)
        prefix = fields.text("prefix", f"tree{index + 1}-")
        for number, chainage in enumerate(np.arange(start, min(end, route_length) + 1e-9, spacing)):
            trees.append(Tree(id=f"{prefix}{number + 1}", chainage=float(chainage), offset=fields.number("offset"),
                              **_tree_attributes(fields)))
    return tuple(trees)


def _connections(fields: Fields, networks, norms: Norms) -> list[ConnectionSpec]:
    fields.allow_only("networks", "spacing", "start", "diameter", "facade_depth", "run_depth")
    known = {n.id: n for n in networks}
    specs = []
    spacing = fields.number("spacing", minimum=MIN_SPACING)
    for network_id in fields.text_list("networks"):
        if network_id not in known:
            raise fields.error("networks", f"unknown network '{network_id}'")
        kind = known[network_id].kind.value
        specs.append(ConnectionSpec(
            network=network_id, spacing=spacing, start=fields.number("start", spacing / 2),
            diameter=fields.number("diameter", norms.number(f"networks.{kind}.connection_diameter"),
                                   strictly_positive=True),
            facade_depth=fields.number("facade_depth", norms.number(f"networks.{kind}.connection_facade_depth"),
                                       strictly_positive=True),
            run_depth=fields.number("run_depth", None, strictly_positive=True)))
    return specs


def _unique_ids(root: Fields, key: str, ids: list[str]) -> None:
    seen = set()
    for index, item in enumerate(ids):
        if item in seen:
            raise root.error(f"{key}[{index}].id", f"duplicate id '{item}'")
        seen.add(item)
