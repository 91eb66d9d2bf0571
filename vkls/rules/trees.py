"""Trees: trunk distance per size class, and networks inside a tree's root zone.

- ``tree-distance``: the horizontal distance from the trunk centre to the edge of a cable
  or pipe must be at least ``trees.classes.<class>.trunk_distance`` (or
  ``trees.root_barrier_distance`` where the tree has a root barrier). The scene holds each
  trunk as a vertical axis (a capsule of radius 0) reaching below any network, so the
  surface distance between that axis and a cable is that horizontal distance.
- ``root-zone``: a network inside the root zone (a vertical cylinder of radius
  max(crown radius + margin, factor x trunk diameter), from the surface down to the
  rootable depth) competes with the roots. Not reported for a tree with a root barrier.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vkls.geometry.scene import (
    IS_NETWORK,
    KIND_CODE,
    NETWORK_CODES,
    ROOT_ZONE_KIND,
    ROOT_ZONE_ROLES,
    TRUNK_ROLES,
    object_column,
    objects_with_role,
)
from vkls.model import TREE_KIND
from vkls.rules.base import (
    Hits,
    judged_contacts,
    kind_pair_reach,
    might_violate,
    pair_hits,
    pair_uncertainty,
)
from vkls.rules.text import at_chainage, metres, provenance

#: The size classes of the norms (trees.classes.<class>).
TREE_CLASSES = ("1a", "1b", "2", "3")



def _network_and_other(scene, contacts, other_code: int):
    """Rows pairing a network capsule with an object of ``other_code``; index of that other object."""
    obj_i, obj_j = contacts.objects[:, 0], contacts.objects[:, 1]
    kind_i, kind_j = contacts.kinds[:, 0], contacts.kinds[:, 1]
    other_i, other_j = kind_i == other_code, kind_j == other_code
    net_i, net_j = IS_NETWORK[kind_i], IS_NETWORK[kind_j]
    network_is_capsule = np.where(other_j, contacts.pairs[:, 0] < scene.n_capsules,
                                  contacts.pairs[:, 1] < scene.n_capsules)
    applies = ((other_i & net_j) | (other_j & net_i)) & network_is_capsule
    return applies, np.where(other_i, obj_i, obj_j)


class TreeTrunkRule:
    """Cables and pipes must keep the class distance from a tree's trunk centre."""

    id = "tree-distance"
    title = "Distance from tree trunk centre to cable/pipe edge (per size class)"
    supersedes: tuple[str, ...] = ()

    def _required_per_object(self, scene, norms):
        required = np.full(len(scene.objects), np.nan)
        entry_of = np.full(len(scene.objects), -1, dtype=np.int64)
        entries: list = []
        barrier = norms.get("trees.root_barrier_distance")
        trunks = np.flatnonzero(scene.object_kind == KIND_CODE[TREE_KIND])
        behind_barrier = objects_with_role(scene, TRUNK_ROLES[True])[trunks]
        classes = object_column(scene, "size_class")[trunks]
        keys = np.where(behind_barrier, "", classes.astype(str))
        for key in np.unique(keys) if len(keys) else []:
            value = barrier if key == "" else norms.get(f"trees.classes.{key}.trunk_distance")
            if value not in entries:
                entries.append(value)
            rows = trunks[keys == key]
            required[rows] = value.value
            entry_of[rows] = entries.index(value)
        return required, entry_of, tuple(entries)

    def reach(self, norms) -> np.ndarray:
        """(K, K) the largest trunk distance of any size class between a tree and a network (NaN: never)."""
        largest = max([norms.number("trees.root_barrier_distance")]
                      + [norms.number(f"trees.classes.{size_class}.trunk_distance") for size_class in TREE_CLASSES])
        return kind_pair_reach(KIND_CODE[TREE_KIND], NETWORK_CODES, largest)

    def evaluate(self, scene, contacts, norms) -> Hits:
        contacts = judged_contacts(self, contacts, norms)
        required_of, entry_of, entries = self._required_per_object(scene, norms)
        applies, tree = _network_and_other(scene, contacts, KIND_CODE[TREE_KIND])
        required = np.where(applies, required_of[tree], np.nan)
        uncertainty = pair_uncertainty(scene, contacts)
        violated = applies & might_violate(np.nan_to_num(required, nan=-np.inf) - contacts.distance, uncertainty)
        regime = np.full(len(required), 3, dtype=np.int8)
        return pair_hits(self.id, scene, contacts, violated, required, regime, entry_of[tree], entries, uncertainty)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        tree, network = (a, b) if conflict.kinds[0] == TREE_KIND else (b, a)
        return (f"{network} lies {metres(conflict.actual)} from the trunk centre of {tree} {at_chainage(conflict)}; "
                f"required {metres(conflict.required)} ({provenance(conflict)}).")


class RootZoneRule:
    """Cables and pipes inside a tree's root zone (without a root barrier)."""

    id = "root-zone"
    title = "Networks inside a tree's root zone (crown + 1 m or 12 x trunk diameter, to the rootable depth)"
    supersedes: tuple[str, ...] = ()

    def reach(self, norms) -> np.ndarray:
        """(K, K) zero between a root zone and a network: only a network inside the zone is flagged."""
        return kind_pair_reach(KIND_CODE[ROOT_ZONE_KIND], NETWORK_CODES, 0.0)

    def judged_objects(self, scene) -> np.ndarray:
        """(objects,) bool: every object but the root zones behind a root barrier."""
        return ~objects_with_role(scene, ROOT_ZONE_ROLES[True])

    def evaluate(self, scene, contacts, norms) -> Hits:
        contacts = judged_contacts(self, contacts, norms)
        applies, zone = _network_and_other(scene, contacts, KIND_CODE[ROOT_ZONE_KIND])
        unprotected = self.judged_objects(scene)
        uncertainty = pair_uncertainty(scene, contacts)
        inside = applies & unprotected[zone] & might_violate(-contacts.distance, uncertainty)
        # How far inside: horizontal distance trunk centre -> cable edge against the zone radius.
        rows = np.flatnonzero(inside)
        pairs = np.take(contacts.pairs, rows, axis=0)
        first_is_capsule = pairs[:, 0] < scene.n_capsules
        capsule = np.where(first_is_capsule, pairs[:, 0], pairs[:, 1])
        cylinder = np.where(first_is_capsule, pairs[:, 1], pairs[:, 0]) - scene.n_capsules - scene.n_boxes
        radius = np.zeros(len(applies))
        radius[rows] = np.take(scene.cyl_r, cylinder)
        from vkls.geometry.kernels import point_segment_distance_xy

        from_trunk = point_segment_distance_xy(scene.cyl_xy, cylinder, scene.cap_a, scene.cap_b, capsule) \
            - np.take(scene.cap_r, capsule)
        entry = norms.get("trees.root_zone_margin")
        regime = np.full(len(applies), 3, dtype=np.int8)
        hits = pair_hits(self.id, scene, contacts, inside, radius, regime, np.zeros(len(applies), np.int64),
                         (entry,), uncertainty)
        return replace(hits, actual=from_trunk, excess=np.maximum(hits.required - from_trunk, hits.excess))

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        zone, network = (a, b) if conflict.kinds[0] == ROOT_ZONE_KIND else (b, a)
        return (f"{network} runs through the {zone} {at_chainage(conflict)}, coming {metres(conflict.actual)} from "
                f"the trunk centre where the zone reaches {metres(conflict.required)}; roots and the network compete "
                f"for the same soil (root zone = crown radius + margin or 12 x trunk diameter; {provenance(conflict)}).")
