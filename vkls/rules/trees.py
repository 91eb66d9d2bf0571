"""Trees: minimum horizontal distance from the trunk centre to the edge of a cable or pipe.

The required distance depends on the tree's size class (``norms/trees.toml``:
``trees.classes.<class>.trunk_distance``). The scene holds each trunk as a vertical
axis (a capsule of radius 0) reaching below any network, so the surface distance
between that axis and a cable is the horizontal distance from the trunk centre to the
cable's edge. Root-zone intrusion and root volume come with the full tree rules.
"""

from __future__ import annotations

import numpy as np

from vkls.geometry.scene import KIND_CODE
from vkls.geometry.tolerances import CONTACT_TOLERANCE
from vkls.model import TREE_KIND, NetworkKind
from vkls.rules.base import NOT_APPLICABLE, Hits, pair_hits
from vkls.rules.text import at_chainage, metres, provenance

NETWORK_CODES = np.array([KIND_CODE[k.value] for k in NetworkKind], dtype=np.int64)


class TreeTrunkRule:
    """Cables and pipes must keep the class distance from a tree's trunk centre."""

    id = "tree-distance"
    title = "Distance from tree trunk centre to cable/pipe edge (per size class)"

    def _required_per_object(self, scene, norms) -> tuple[np.ndarray, tuple]:
        required = np.full(len(scene.objects), np.nan)
        entries = []
        entry_of = np.full(len(scene.objects), -1, dtype=np.int64)
        for index, obj in enumerate(scene.objects):
            if obj.kind == TREE_KIND:
                value = norms.get(f"trees.classes.{obj.size_class}.trunk_distance")
                if value not in entries:
                    entries.append(value)
                required[index] = value.value
                entry_of[index] = entries.index(value)
        return required, entry_of, tuple(entries)

    def margins(self, scene, norms) -> np.ndarray:
        required, _, _ = self._required_per_object(scene, norms)
        worst = np.nanmax(required, initial=0.0) if np.isfinite(required).any() else 0.0
        is_network = np.isin(scene.object_kind, NETWORK_CODES)
        return np.where(np.isfinite(required), required, np.where(is_network, worst, 0.0)) / 2

    def evaluate(self, scene, contacts, norms) -> Hits:
        required_of, entry_of, entries = self._required_per_object(scene, norms)
        objects = scene.primitive_object
        obj_i, obj_j = objects[contacts.pairs[:, 0]], objects[contacts.pairs[:, 1]]
        tree_i = scene.object_kind[obj_i] == KIND_CODE[TREE_KIND]
        tree_j = scene.object_kind[obj_j] == KIND_CODE[TREE_KIND]
        net_i = np.isin(scene.object_kind[obj_i], NETWORK_CODES)
        net_j = np.isin(scene.object_kind[obj_j], NETWORK_CODES)
        capsules = contacts.pairs[:, 1] < scene.n_capsules
        tree_obj = np.where(tree_i, obj_i, obj_j)
        applies = capsules & ((tree_i & net_j) | (tree_j & net_i))
        required = np.where(applies, required_of[tree_obj], np.nan)
        violated = applies & (contacts.distance < np.nan_to_num(required, nan=-np.inf) - CONTACT_TOLERANCE)
        regime = np.full(len(required), NOT_APPLICABLE, dtype=np.int8)
        return pair_hits(self.id, scene, contacts, violated, required, regime, entry_of[tree_obj], entries)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        tree, network = (a, b) if conflict.kinds[0] == TREE_KIND else (b, a)
        return (f"{network} lies {metres(conflict.actual)} from the trunk centre of {tree} {at_chainage(conflict)}; "
                f"required {metres(conflict.required)} ({provenance(conflict)}).")
