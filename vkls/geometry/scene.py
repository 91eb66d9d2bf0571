"""The scene: flat, typed arrays of every primitive, built from a street.

This is the only input of the numba kernels. Capsules (segment + radius) are cables and
pipes, oriented boxes are rack parts, vertical cylinders are root zones. Every primitive
points to a :class:`SceneObject` (a network main, a house connection, a rack part, a
tree) and every object to a group; the engine never pairs two primitives of one group
(the parts of one network, the parts of one rack, the trunk and root zone of one tree).

Coordinates are local (route origin subtracted) in metres; z is metres NAP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from vkls.geometry.alignment import Alignment
from vkls.geometry.section import RackPart, place_networks, rack_parts
from vkls.model import RACK_KIND, RESERVATION_KIND, TREE_KIND, NetworkKind, Street
from vkls.rules.loader import Norms

#: Kind codes used in the arrays: the network kinds, then rack parts, tree trunks, root zones.
ROOT_ZONE_KIND = "rootzone"
#: Roles of a tree's two objects, without and with a root barrier.
TRUNK_ROLES = ("trunk", "trunk with root barrier")
ROOT_ZONE_ROLES = ("root zone", "root zone behind a barrier")
KIND_NAMES: tuple[str, ...] = tuple(k.value for k in NetworkKind) + (RACK_KIND, TREE_KIND, ROOT_ZONE_KIND,
                                                                     RESERVATION_KIND)
KIND_CODE = {name: code for code, name in enumerate(KIND_NAMES)}
#: Codes of the network kinds, and kind code -> is a network kind.
NETWORK_CODES = np.array([KIND_CODE[k.value] for k in NetworkKind], dtype=np.int64)
IS_NETWORK = np.isin(np.arange(len(KIND_NAMES)), NETWORK_CODES)

#: A trunk is modelled as a vertical axis this deep (metres below ground), deeper than any
#: street network, so its distance to a cable is the horizontal distance trunk centre -> cable.
TRUNK_AXIS_DEPTH = 6.0


@dataclass(frozen=True)
class SceneObject:
    """What a primitive belongs to, for rules and reports.

    Attributes
    ----------
    id : str
        Stable id: ``W1`` (a main), ``W1/hc@12.0`` (its house connection at chainage 12.0),
        ``rack/post@3.60``, ``B1`` (a tree), ``B1/roots``.
    kind : str
        A network kind, ``rack``, ``tree`` or ``rootzone``.
    role : str
        ``main``, ``house connection``, ``sewer connection``, a rack part name, ``trunk`` or ``root zone``.
    label : str
        Plain words for reports.
    group : int
        Objects of one group are never paired.
    network : str or None
        The network id for mains and connections.
    size_class : str or None
        Tree size class for trunks and root zones.
    accuracy_xy, accuracy_z : float, metres
        Position uncertainty of the object (KLIC accuracy classes; 0 for a design).
    """

    id: str
    kind: str
    role: str
    label: str
    group: int
    network: str | None = None
    size_class: str | None = None
    accuracy_xy: float = 0.0
    accuracy_z: float = 0.0


@dataclass
class _Buffers:
    """Growable lists while building; frozen into arrays at the end."""

    cap_a: list = field(default_factory=list)
    cap_b: list = field(default_factory=list)
    cap_r: list = field(default_factory=list)
    cap_object: list = field(default_factory=list)
    cap_chainage: list = field(default_factory=list)
    box_c: list = field(default_factory=list)
    box_h: list = field(default_factory=list)
    box_axes: list = field(default_factory=list)
    box_object: list = field(default_factory=list)
    box_chainage: list = field(default_factory=list)
    cyl_xy: list = field(default_factory=list)
    cyl_z: list = field(default_factory=list)
    cyl_r: list = field(default_factory=list)
    cyl_object: list = field(default_factory=list)
    cyl_chainage: list = field(default_factory=list)


@dataclass(frozen=True)
class Scene:
    """Structure-of-arrays scene.

    Attributes
    ----------
    cap_a, cap_b : (n, 3) float64, metres
        Capsule segment end points.
    cap_r : (n,) float64, metres
        Capsule radii.
    cap_object : (n,) int64
        Index into ``objects``.
    cap_chainage : (n, 2) float64, metres
        Chainage range covered by each capsule.
    box_c, box_h : (m, 3) float64, metres
        Oriented box centres and half extents.
    box_axes : (m, 3, 3) float64
        ``box_axes[k, i]`` is the unit vector of local axis i (along, across, up).
    box_object : (m,) int64; box_chainage : (m, 2) float64
    cyl_xy : (c, 2) float64; cyl_z : (c, 2) float64 (bottom, top); cyl_r : (c,) float64
        Vertical cylinders (root zones).
    cyl_object : (c,) int64; cyl_chainage : (c, 2) float64
    objects : tuple of SceneObject
    object_group : (o,) int64; object_kind : (o,) int64 (codes of ``KIND_NAMES``)
    object_accuracy_xy, object_accuracy_z : (o,) float64, metres
    alignment : Alignment or None
        The route of a street; None for a map of existing networks.
    placements : dict network id -> Placement
    rack_parts : list of RackPart (section view)
    rack_networks : frozenset of str
        Ids of the networks that lie on rack levels.
    street : Street or NetworkMap
        The model the scene was built from (section-level rules read a Street).
    origin : (2,) float64, metres RD New
        Subtracted from all x, y.
    ground_level : float, metres
        Height of the ground surface in z (NAP for a street; 0 for a map, where z = -depth).
    chainage_along : {"route", "object"}
        Chainage of a street is measured along its route; on a map along each object itself.
    """

    cap_a: np.ndarray
    cap_b: np.ndarray
    cap_r: np.ndarray
    cap_object: np.ndarray
    cap_chainage: np.ndarray
    box_c: np.ndarray
    box_h: np.ndarray
    box_axes: np.ndarray
    box_object: np.ndarray
    box_chainage: np.ndarray
    cyl_xy: np.ndarray
    cyl_z: np.ndarray
    cyl_r: np.ndarray
    cyl_object: np.ndarray
    cyl_chainage: np.ndarray
    objects: tuple[SceneObject, ...]
    object_group: np.ndarray
    object_kind: np.ndarray
    object_accuracy_xy: np.ndarray
    object_accuracy_z: np.ndarray
    alignment: Alignment
    placements: dict
    rack_parts: list
    rack_networks: frozenset
    street: object
    origin: np.ndarray
    ground_level: float
    chainage_along: str = "route"

    @property
    def has_section(self) -> bool:
        """True for a designed street (route + cross-section), False for a map of existing networks."""
        return self.alignment is not None

    @property
    def n_capsules(self) -> int:
        return len(self.cap_r)

    @property
    def n_boxes(self) -> int:
        return len(self.box_object)

    @property
    def n_cylinders(self) -> int:
        return len(self.cyl_r)

    @cached_property
    def exact_positions(self) -> bool:
        """True when no object has a position uncertainty (a design): every spread is 0."""
        return not (self.object_accuracy_xy.any() or self.object_accuracy_z.any())

    @cached_property
    def primitive_object(self) -> np.ndarray:
        """(n + m + c,) int64: object of each primitive in the numbering [capsules | boxes | cylinders]
        (joined once; read-only)."""
        return _frozen(np.concatenate([self.cap_object, self.box_object, self.cyl_object]))

    @cached_property
    def primitive_chainage(self) -> np.ndarray:
        """(n + m + c, 2) float64: chainage range of each primitive, same numbering (joined once; read-only)."""
        return _frozen(np.concatenate([self.cap_chainage, self.box_chainage, self.cyl_chainage]))

    def to_world(self, xyz: np.ndarray) -> np.ndarray:
        """Local coordinates -> RD New x, y and NAP z, metres. ``xyz``: (k, 3)."""
        out = np.array(xyz, dtype=np.float64, copy=True)
        out[..., :2] += self.origin
        return out


def _frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


def object_column(scene: Scene, name: str) -> np.ndarray:
    """(objects,) one attribute of every object (``id``, ``kind``, ``role``, ``network``,
    ``size_class``, or ``on_rack``: the object's network lies on a rack level) as an array,
    without making an object per row where the scene keeps columns."""
    columns = getattr(scene.objects, "columns", None)
    if columns is not None:
        return columns[name]
    if name == "on_rack":
        return np.array([o.network in scene.rack_networks for o in scene.objects], dtype=bool)
    values = np.empty(len(scene.objects), dtype=object)
    values[:] = [getattr(o, name) for o in scene.objects]
    return values


def objects_with_role(scene: Scene, *roles: str) -> np.ndarray:
    """(objects,) bool: the objects whose role is one of ``roles``; where the scene keeps columns, from
    its role codes (comparing hundreds of thousands of strings costs milliseconds)."""
    codes = getattr(scene.objects, "role_codes", None)
    if codes is None:
        return np.isin(object_column(scene, "role"), roles)
    found = np.flatnonzero(np.isin(scene.objects.role_names, roles))
    if len(found) == 1:
        return codes == found[0]
    return np.isin(codes, found)


def build_scene(street: Street, norms: Norms) -> Scene:
    """Sweep the street's cross-section along its route into a :class:`Scene`.

    Parameters
    ----------
    street : Street
    norms : Norms
        For placement defaults and tree root-zone parameters.
    """
    alignment = Alignment.from_route(street.route)
    placements = place_networks(street, norms)
    stations = alignment.stations(street.segment_length)
    ground = alignment.ground_level
    buffers = _Buffers()
    objects: list[SceneObject] = []
    groups: dict[str, int] = {}

    def add_object(obj_id, kind, role, label, group_key, network=None, size_class=None, accuracy=(0.0, 0.0)) -> int:
        group = groups.setdefault(group_key, len(groups))
        objects.append(SceneObject(obj_id, kind, role, label, group, network, size_class, *accuracy))
        return len(objects) - 1

    for network in street.networks:
        placement = placements[network.id]
        accuracy = (network.accuracy_xy, network.accuracy_depth)
        obj = add_object(network.id, network.kind.value, "main",
                         f"{network.kind.label} {network.id} ({network.owner})", network.id, network.id,
                         accuracy=accuracy)
        for offset in placement.axis_offsets:
            xy = alignment.place(stations, np.full(len(stations), offset))
            z = np.full(len(stations), ground - placement.axis_depth)
            points = np.column_stack([xy, z])
            _add_chain(buffers, points, placement.radius, obj, stations)

    free_strip = norms.number("placement.free_strip")
    for spec in street.connections:
        network = street.network(spec.network)
        main = placements[network.id]
        sewer = network.kind is NetworkKind.RIOOL_VRIJVERVAL
        role = "sewer connection" if sewer else "house connection"
        main_offset = main.axis_offsets[len(main.axis_offsets) // 2]
        min_radius = norms.number(f"networks.{network.kind.value}.bend_factor") * spec.diameter
        path = connection_path(main_offset, main.axis_depth, spec, sewer, free_strip, min_radius)
        chainages = np.round(np.arange(spec.start, alignment.length + 1e-9, spec.spacing), 6)
        if len(chainages) == 0:
            continue
        # every connection of a spec follows the same section path: place them all at once
        xy = alignment.place(np.repeat(chainages, len(path)), np.tile(path[:, 0], len(chainages)))
        points = np.column_stack([xy, ground - np.tile(path[:, 1], len(chainages))]).reshape(len(chainages), -1, 3)
        first = len(objects)
        for chainage in chainages:
            obj_id = f"{network.id}/hc@{chainage:.1f}"
            add_object(obj_id, network.kind.value, role, f"{role} {obj_id} ({network.kind.label})",
                       network.id, network.id, accuracy=(network.accuracy_xy, network.accuracy_depth))
        _add_chains(buffers, points, spec.diameter / 2, np.arange(first, len(objects)), chainages)

    parts = rack_parts(street)
    if parts:
        _add_rack(buffers, add_object, alignment, street, parts, stations)

    for tree in street.trees:
        _add_tree(buffers, add_object, alignment, tree, norms)

    for reservation in street.reservations:
        _add_reservation(buffers, add_object, alignment, reservation, street.segment_length)

    return _freeze(buffers, objects, street, alignment.origin, alignment.ground_level, alignment, placements, parts)


def connection_path(main_offset: float, main_axis_depth: float, spec, sewer: bool, free_strip: float,
                    min_radius: float) -> np.ndarray:
    """Section polyline of a house connection, from its main to the facade.

    A connection leaves its main, dives (or rises) to its run depth, runs towards the
    facade and rises to its facade depth. Each change of depth of size ``h`` is spread over
    a horizontal length of ``max(h, sqrt(min_radius * h))``, so that a bend of the cable's
    minimum radius fits at the corner; the rise starts at least ``free_strip`` from the
    facade. Sewer connections run straight from the facade down to the sewer main.

    Parameters
    ----------
    main_offset, main_axis_depth : float, metres
    spec : ConnectionSpec
    sewer : bool
    free_strip : float, metres
    min_radius : float, metres
        Minimum bend radius of the connection (bend factor x outer diameter; 0: none).

    Returns
    -------
    (k, 2) float64
        (offset, axis depth) pairs from the main to the facade.
    """
    r = spec.diameter / 2
    facade = (0.0, spec.facade_depth + r)
    if sewer:
        return np.array([(main_offset, main_axis_depth), facade])
    run = main_axis_depth if spec.run_depth is None else spec.run_depth + r

    def spread(height: float) -> float:
        return max(height, float(np.sqrt(min_radius * height))) if height > 0 else 0.0

    rise_start = max(free_strip, spread(abs(run - facade[1])))
    dive_end = main_offset - spread(abs(run - main_axis_depth))
    if main_offset <= 2 * rise_start:  # the main lies close to the facade: one straight run up to it
        path = [(main_offset, main_axis_depth), facade]
    elif dive_end <= rise_start:  # no room for a level run: straight to the start of the rise
        path = [(main_offset, main_axis_depth), (rise_start, run), facade]
    else:
        path = [(main_offset, main_axis_depth), (dive_end, run), (rise_start, run), facade]
    path = np.array(path)
    keep = np.ones(len(path), dtype=bool)
    keep[1:] = np.hypot(*np.diff(path, axis=0).T) > 1e-9
    return path[keep]


def _add_capsule(buffers: _Buffers, a, b, radius, obj, chainage) -> None:
    buffers.cap_a.append(np.asarray(a, dtype=np.float64).reshape(1, 3))
    buffers.cap_b.append(np.asarray(b, dtype=np.float64).reshape(1, 3))
    buffers.cap_r.append(np.array([radius]))
    buffers.cap_object.append(np.array([obj]))
    buffers.cap_chainage.append(np.array([chainage], dtype=np.float64))


def _add_chain(buffers: _Buffers, points: np.ndarray, radius: float, obj: int, chainage: np.ndarray) -> None:
    n = len(points) - 1
    buffers.cap_a.append(points[:-1])
    buffers.cap_b.append(points[1:])
    buffers.cap_r.append(np.full(n, radius))
    buffers.cap_object.append(np.full(n, obj))
    buffers.cap_chainage.append(np.column_stack([chainage[:-1], chainage[1:]]))


def _add_chains(buffers: _Buffers, points: np.ndarray, radius: float, objects: np.ndarray,
                chainages: np.ndarray) -> None:
    """Many equal chains at once: ``points`` (k, m, 3), one chain of m - 1 capsules per object, each
    at a constant chainage (house connections run across the route)."""
    k, m, _ = points.shape
    buffers.cap_a.append(points[:, :-1].reshape(-1, 3))
    buffers.cap_b.append(points[:, 1:].reshape(-1, 3))
    buffers.cap_r.append(np.full(k * (m - 1), radius))
    buffers.cap_object.append(np.repeat(objects, m - 1))
    buffers.cap_chainage.append(np.repeat(np.column_stack([chainages, chainages]), m - 1, axis=0))


def _box_axes(tangent: np.ndarray) -> np.ndarray:
    """(k, 3, 3) axes (along, across, up) from (k, 2) unit tangents."""
    k = len(tangent)
    axes = np.zeros((k, 3, 3))
    axes[:, 0, :2] = tangent
    axes[:, 1, :2] = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    axes[:, 2, 2] = 1.0
    return axes


def _add_boxes(buffers, centre, half, axes, obj_ids, chainage) -> None:
    buffers.box_c.append(centre)
    buffers.box_h.append(half)
    buffers.box_axes.append(axes)
    buffers.box_object.append(np.asarray(obj_ids, dtype=np.int64))
    buffers.box_chainage.append(chainage)


def _add_rack(buffers, add_object, alignment: Alignment, street: Street, parts: list[RackPart],
              stations: np.ndarray) -> None:
    """Rack parts as oriented boxes: one object per part line (a line of uprights, the beams
    of one level, a plate), with a box at every upright or every station interval."""
    rack = street.rack
    ground = alignment.ground_level
    posts = np.arange(rack.post_spacing / 2, alignment.length, rack.post_spacing)
    for part in parts:
        mid_offset = (part.offset_min + part.offset_max) / 2
        half_across = (part.offset_max - part.offset_min) / 2
        half_up = (part.depth_max - part.depth_min) / 2
        z = ground - (part.depth_min + part.depth_max) / 2
        if part.along is not None:
            _, tangent, _ = alignment.frame(posts)
            xy = alignment.place(posts, np.full(len(posts), mid_offset))
            centre = np.column_stack([xy, np.full(len(posts), z)])
            half = np.tile([part.along / 2, half_across, half_up], (len(posts), 1))
            chainage = np.column_stack([posts - part.along / 2, posts + part.along / 2])
        else:
            ends = alignment.place(stations, np.full(len(stations), mid_offset))
            chord = np.diff(ends, axis=0)
            length = np.hypot(chord[:, 0], chord[:, 1])
            tangent = chord / length[:, None]
            centre = np.column_stack([(ends[:-1] + ends[1:]) / 2, np.full(len(chord), z)])
            half = np.column_stack([length / 2, np.full(len(chord), half_across), np.full(len(chord), half_up)])
            chainage = np.column_stack([stations[:-1], stations[1:]])
        obj = add_object(f"rack/{part.id}", RACK_KIND, part.name, f"VKLS rack {part.label}", "rack")
        _add_boxes(buffers, centre, half, _box_axes(tangent), np.full(len(centre), obj), chainage)


def _add_tree(buffers, add_object, alignment: Alignment, tree, norms: Norms) -> None:
    xy = alignment.place(np.array([tree.chainage]), np.array([tree.offset]))[0]
    _add_tree_at(buffers, add_object, tree, xy, alignment.ground_level, tree.chainage, norms, on_route=True)


def _add_tree_at(buffers, add_object, tree, xy: np.ndarray, ground: float, chainage: float, norms: Norms,
                 on_route: bool = False) -> None:
    """A tree as its trunk axis (a capsule of radius 0: tree rules measure from the trunk centre to
    the cable edge) and its root zone (a vertical cylinder down to the rootable depth). On a route
    the root zone covers chainage +- its radius; on a map (no route) its chainage is a point."""
    rootable = norms.number("trees.rootable_depth")
    barrier = " with root barrier" if tree.root_barrier else ""
    trunk = add_object(tree.id, TREE_KIND, TRUNK_ROLES[bool(tree.root_barrier)],
                       f"tree {tree.id} (class {tree.size_class}{barrier})", f"tree:{tree.id}",
                       size_class=tree.size_class)
    _add_capsule(buffers, [*xy, ground], [*xy, ground - TRUNK_AXIS_DEPTH], 0.0, trunk, (chainage, chainage))
    radius = max(tree.crown_radius + norms.number("trees.root_zone_margin"),
                 norms.number("trees.root_zone_dbh_factor") * tree.trunk_diameter)
    roots = add_object(f"{tree.id}/roots", ROOT_ZONE_KIND,
                       ROOT_ZONE_ROLES[bool(tree.root_barrier)],
                       f"root zone of tree {tree.id} (radius {radius:.1f} m, {rootable:.1f} m deep)",
                       f"tree:{tree.id}", size_class=tree.size_class)
    buffers.cyl_xy.append(np.asarray(xy, dtype=np.float64).reshape(1, 2))
    buffers.cyl_z.append(np.array([[ground - rootable, ground]]))
    buffers.cyl_r.append(np.array([radius]))
    buffers.cyl_object.append(np.array([roots]))
    span = radius if on_route else 0.0
    buffers.cyl_chainage.append(np.array([[chainage - span, chainage + span]]))


def _add_reservation(buffers, add_object, alignment: Alignment, reservation, step: float) -> None:
    """A reserved corridor as boxes, one per route interval of at most ``step`` metres."""
    stations = alignment.stations(step)
    inside = (stations > reservation.chainage_start) & (stations < reservation.chainage_end)
    stations = np.concatenate([[reservation.chainage_start], stations[inside], [reservation.chainage_end]])
    mid_offset = reservation.offset + reservation.width / 2
    ends = alignment.place(stations, np.full(len(stations), mid_offset))
    chord = np.diff(ends, axis=0)
    length = np.hypot(chord[:, 0], chord[:, 1])
    keep = length > 1e-9
    chord, length = chord[keep], length[keep]
    tangent = chord / length[:, None]
    z = alignment.ground_level - (reservation.depth_top + reservation.depth_bottom) / 2
    centre = np.column_stack([((ends[:-1] + ends[1:]) / 2)[keep], np.full(len(chord), z)])
    half = np.column_stack([length / 2, np.full(len(chord), reservation.width / 2),
                            np.full(len(chord), (reservation.depth_bottom - reservation.depth_top) / 2)])
    chainage = np.column_stack([stations[:-1], stations[1:]])[keep]
    obj = add_object(reservation.id, RESERVATION_KIND, "reservation",
                     f"reservation {reservation.id} ({reservation.purpose})", f"reservation:{reservation.id}")
    _add_boxes(buffers, centre, half, _box_axes(tangent), np.full(len(centre), obj), chainage)


def _stack(parts: list, shape: tuple, dtype=np.float64) -> np.ndarray:
    if not parts:
        return np.zeros(shape, dtype=dtype)
    return np.ascontiguousarray(np.concatenate(parts).astype(dtype, copy=False))


def _freeze(buffers: _Buffers, objects, street, origin, ground_level: float, alignment: Alignment | None = None,
            placements=None, parts=(), chainage_along: str = "route") -> Scene:
    """Stack the growable buffers into the scene's flat arrays."""
    rack = getattr(street, "rack", None)
    return Scene(
        cap_a=_stack(buffers.cap_a, (0, 3)), cap_b=_stack(buffers.cap_b, (0, 3)),
        cap_r=_stack(buffers.cap_r, (0,)), cap_object=_stack(buffers.cap_object, (0,), np.int64),
        cap_chainage=_stack(buffers.cap_chainage, (0, 2)),
        box_c=_stack(buffers.box_c, (0, 3)), box_h=_stack(buffers.box_h, (0, 3)),
        box_axes=_stack(buffers.box_axes, (0, 3, 3)), box_object=_stack(buffers.box_object, (0,), np.int64),
        box_chainage=_stack(buffers.box_chainage, (0, 2)),
        cyl_xy=_stack(buffers.cyl_xy, (0, 2)), cyl_z=_stack(buffers.cyl_z, (0, 2)),
        cyl_r=_stack(buffers.cyl_r, (0,)), cyl_object=_stack(buffers.cyl_object, (0,), np.int64),
        cyl_chainage=_stack(buffers.cyl_chainage, (0, 2)),
        objects=tuple(objects),
        object_group=np.array([o.group for o in objects], dtype=np.int64),
        object_kind=np.array([KIND_CODE[o.kind] for o in objects], dtype=np.int64),
        object_accuracy_xy=np.array([o.accuracy_xy for o in objects], dtype=np.float64),
        object_accuracy_z=np.array([o.accuracy_z for o in objects], dtype=np.float64),
        alignment=alignment, placements=placements or {}, rack_parts=list(parts),
        rack_networks=frozenset(i for level in (rack.levels if rack else ()) for i in level.networks),
        street=street, origin=np.asarray(origin, dtype=np.float64), ground_level=float(ground_level),
        chainage_along=chainage_along,
    )


def build_map_scene(network_map, norms: Norms) -> Scene:
    """The scene of existing networks: every utility a chain of capsules along its own course.

    z is minus the depth below the ground surface (the ground is the reference, z = 0).
    Chainage is measured along each object. Utilities of one group (a cable and its duct)
    share a group and are never paired; trees become a trunk axis and a root zone.

    Parameters
    ----------
    network_map : NetworkMap
    norms : Norms
    """
    buffers = _Buffers()
    objects: list[SceneObject] = []
    groups: dict[str, int] = {}
    all_xy = [u.points[:, :2] for u in network_map.utilities] + [np.array([t.xy]) for t in network_map.trees if t.xy]
    origin = np.floor(np.concatenate(all_xy).min(axis=0)) if all_xy else np.zeros(2)

    def add_object(obj_id, kind, role, label, group_key, network=None, size_class=None, accuracy=(0.0, 0.0)) -> int:
        group = groups.setdefault(group_key, len(groups))
        objects.append(SceneObject(obj_id, kind, role, label, group, network, size_class, *accuracy))
        return len(objects) - 1

    for utility in network_map.utilities:
        points = np.column_stack([utility.points[:, :2] - origin, -utility.points[:, 2]])
        label = utility.label or f"{utility.kind.label} {utility.id} ({utility.owner})"
        obj = add_object(utility.id, utility.kind.value, "main", label, utility.group or utility.id, utility.id,
                         accuracy=(utility.accuracy_xy, utility.accuracy_depth))
        along = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
        _add_chain(buffers, points, utility.diameter / 2, obj, along)
    for tree in network_map.trees:
        _add_tree_at(buffers, add_object, tree, np.asarray(tree.xy, dtype=np.float64) - origin, 0.0, 0.0, norms)
    return _freeze(buffers, objects, network_map, origin, 0.0, chainage_along="object")
