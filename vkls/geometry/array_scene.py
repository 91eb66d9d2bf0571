"""A scene straight from flat arrays of lines and trees (a tile of a city store), without
one Python object per cable.

It is the same scene :func:`vkls.geometry.scene.build_map_scene` builds from a
:class:`~vkls.model.NetworkMap` (z = -depth, chainage along each object, a tree as a trunk
axis and a root zone), built with whole-array operations. Objects are numbered in the order
of their global index (lines, then trees), so that a tile and the whole city number any two
objects in the same order and every pair comes out the same way round.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vkls.geometry.scene import (
    KIND_CODE,
    KIND_NAMES,
    ROOT_ZONE_KIND,
    ROOT_ZONE_ROLES,
    TRUNK_AXIS_DEPTH,
    TRUNK_ROLES,
    Scene,
    SceneObject,
)
from vkls.model import TREE_KIND
from vkls.rules.loader import Norms


class ObjectTable(Sequence):
    """The scene's objects as columns; a :class:`SceneObject` is made only when one is asked for.

    Parameters
    ----------
    ids, kinds : (o,) str arrays
    role_names : (r,) str array
        The distinct roles.
    role_codes : (o,) int64
        Each object's role, an index into ``role_names``.
    groups : (o,) int64
    accuracy : (o, 2) float64, metres
    networks : (o,) str array ("" where the object is not a network)
    size_classes : (o,) str array ("" where the object is not a tree)
    labels : callable (k,) int64 -> list of k str
        Labels of the objects at the indices given.
    on_rack : (o,) bool
        The object is a main on a rack level.
    """

    def __init__(self, ids, kinds, role_names, role_codes, groups, accuracy, networks, size_classes, labels, on_rack):
        self.ids, self.kinds, self.groups, self.on_rack = ids, kinds, groups, on_rack
        self.role_names, self.role_codes = role_names, role_codes
        self.roles = role_names[role_codes]
        self.accuracy, self.networks, self.size_classes, self.labels = accuracy, networks, size_classes, labels

    def label(self, k: int) -> str:
        return self.labels(np.array([k]))[0]

    @property
    def columns(self) -> dict:
        """Attribute name -> (o,) array (see :func:`vkls.geometry.scene.object_column`)."""
        return {"id": self.ids, "kind": self.kinds, "role": self.roles, "network": self.networks,
                "size_class": self.size_classes, "on_rack": self.on_rack}

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[k] for k in range(*index.indices(len(self)))]
        k = int(index)
        return SceneObject(str(self.ids[k]), str(self.kinds[k]), str(self.roles[k]), self.label(k),
                           int(self.groups[k]), str(self.networks[k]) or None, str(self.size_classes[k]) or None,
                           float(self.accuracy[k, 0]), float(self.accuracy[k, 1]))


def root_zone_radius(norms: Norms):
    """The root zone model of ``norms``: a function (crown, dbh) -> radius, arrays in metres."""
    margin = norms.number("trees.root_zone_margin")
    factor = norms.number("trees.root_zone_dbh_factor")
    return lambda crown, dbh: np.maximum(np.asarray(crown) + margin, factor * np.asarray(dbh))


def build_array_scene(arrays, norms: Norms, origin) -> Scene:
    """The scene of the lines and trees of a :class:`vkls.city.store.TileArrays`.

    Parameters
    ----------
    arrays : TileArrays
        Lines and trees in global index order.
    norms : Norms
        Root zone model and rootable depth.
    origin : (2,) float64, metres RD New
        Subtracted from x, y (the store's origin, the same for every tile).

    Returns
    -------
    Scene
        Capsules of the lines (and the trunk axes), cylinders of the root zones, no boxes.
    """
    from vkls.city.store import LINE_KINDS, RACK_ROLE, SCENE_ROLES
    from vkls.geometry import kernels

    origin = np.asarray(origin, dtype=np.float64)
    n_lines, n_trees = arrays.n_lines, arrays.n_trees
    counts = np.diff(arrays.line_start)
    # the line segments, with room for the trunk axes after them
    cap_a, cap_b, cap_chainage, line_of_segment = kernels.chain_segments(arrays.xyz, arrays.line_start, origin,
                                                                         extra=n_trees)

    trunk_xy = arrays.tree_xy - origin
    n_segments = len(line_of_segment)
    cap_a[n_segments:, :2] = cap_b[n_segments:, :2] = trunk_xy
    cap_b[n_segments:, 2] = -TRUNK_AXIS_DEPTH
    tree_objects = n_lines + 2 * np.arange(n_trees)  # trunk; the root zone follows it
    rootable = norms.number("trees.rootable_depth")
    radius = root_zone_radius(norms)(arrays.tree_crown, arrays.tree_dbh)

    role_names = np.array(sorted(set(SCENE_ROLES) | set(TRUNK_ROLES) | set(ROOT_ZONE_ROLES)))
    barrier = arrays.tree_barrier.astype(bool)
    trunk, zone = np.searchsorted(role_names, TRUNK_ROLES), np.searchsorted(role_names, ROOT_ZONE_ROLES)
    tree_roles = np.column_stack([np.where(barrier, trunk[1], trunk[0]), np.where(barrier, zone[1], zone[0])]).ravel()
    role_codes = np.concatenate([np.searchsorted(role_names, SCENE_ROLES)[arrays.line_role], tree_roles])
    tree_names = arrays.tree_name.astype(str)
    tree_ids = np.column_stack([tree_names, np.char.add(tree_names, "/roots")]).ravel()
    first_tree_group = int(arrays.line_group.max(initial=-1)) + 1
    ids = np.concatenate([arrays.line_name.astype(str), tree_ids])
    scene_kind_of_line = np.array([KIND_CODE[k.value] for k in LINE_KINDS], dtype=np.int64)
    kind_codes = np.concatenate([scene_kind_of_line[arrays.line_kind],
                                 np.tile([KIND_CODE[TREE_KIND], KIND_CODE[ROOT_ZONE_KIND]], n_trees)]).astype(np.int64)
    object_kinds = np.array(KIND_NAMES)[kind_codes]
    groups = np.concatenate([arrays.line_group, np.repeat(first_tree_group + np.arange(n_trees), 2)]).astype(np.int64)
    accuracy = np.concatenate([arrays.line_accuracy, np.zeros((2 * n_trees, 2))]).reshape(-1, 2)
    networks = np.concatenate([arrays.line_name.astype(str), np.full(2 * n_trees, "")])  # "": not a network
    size_classes = np.concatenate([np.full(n_lines, ""), np.repeat(arrays.tree_class.astype(str), 2)])

    kind_labels = np.array([kind.label for kind in LINE_KINDS], dtype=object)

    def labels(indices: np.ndarray) -> list[str]:
        indices = np.asarray(indices, dtype=np.int64)
        lines = indices[indices < n_lines]
        line_labels = iter([f"{kind} {role} {name}" for kind, role, name in zip(
            kind_labels[arrays.line_kind[lines]].tolist(), role_names[role_codes[lines]].tolist(),
            ids[lines].tolist())])
        return [next(line_labels) if k < n_lines else tree_label(k) for k in indices.tolist()]

    def tree_label(k: int) -> str:
        t = (k - n_lines) // 2
        name, size_class = arrays.tree_name[t], arrays.tree_class[t]
        if (k - n_lines) % 2 == 0:
            return f"tree {name} (class {size_class}{' with root barrier' if barrier[t] else ''})"
        return f"root zone of tree {name} (radius {radius[t]:.1f} m, {rootable:.1f} m deep)"

    on_rack = np.concatenate([arrays.line_role == RACK_ROLE, np.zeros(2 * n_trees, dtype=bool)])
    objects = ObjectTable(ids, object_kinds, role_names, role_codes.astype(np.int64), groups, accuracy, networks,
                          size_classes, labels, on_rack)
    empty3 = np.zeros((0, 3))
    return Scene(
        cap_a=cap_a, cap_b=cap_b,
        cap_r=np.concatenate([np.repeat(arrays.line_diameter / 2, counts - 1), np.zeros(n_trees)]),
        cap_object=np.concatenate([line_of_segment, tree_objects]).astype(np.int64),
        cap_chainage=cap_chainage,
        box_c=empty3, box_h=empty3, box_axes=np.zeros((0, 3, 3)), box_object=np.zeros(0, np.int64),
        box_chainage=np.zeros((0, 2)),
        cyl_xy=np.ascontiguousarray(trunk_xy), cyl_z=np.column_stack([np.full(n_trees, -rootable), np.zeros(n_trees)]),
        cyl_r=np.asarray(radius, dtype=np.float64).reshape(n_trees), cyl_object=(tree_objects + 1).astype(np.int64),
        cyl_chainage=np.zeros((n_trees, 2)),
        objects=objects, object_group=groups, object_kind=kind_codes,
        object_accuracy_xy=np.ascontiguousarray(accuracy[:, 0]), object_accuracy_z=np.ascontiguousarray(accuracy[:, 1]),
        alignment=None, placements={}, rack_parts=[], rack_networks=frozenset(arrays.line_name[arrays.line_role == RACK_ROLE].tolist()), street=arrays,
        origin=origin, ground_level=0.0, chainage_along="object",
    )
