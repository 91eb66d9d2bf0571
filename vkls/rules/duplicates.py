"""Duplicates: the same network entered twice (same kind, parallel, co-axial, overlapping).

Two mains of one kind whose axes run within ``duplicates.axis_tolerance`` of each other
over a stretch are reported once, as a duplicate, instead of as an overlap under the
clearance and thermal rules.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vkls.geometry.scene import IS_NETWORK, NETWORK_CODES, objects_with_role
from vkls.geometry.tolerances import CONTACT_TOLERANCE
from vkls.rules.base import PARALLEL, Hits, judged_contacts, no_reach, pair_hits
from vkls.rules.text import at_chainage, metres, provenance

#: |cos| above which two segments count as running the same way for a duplicate (about 2.6 degrees).
SAME_DIRECTION_COS = 0.999



class DuplicateRule:
    """One network entered twice."""

    id = "duplicate"
    title = "The same network entered twice (co-axial, same kind)"
    supersedes = ("clearance", "thermal", "access")

    def reach(self, norms) -> np.ndarray:
        """(K, K) the axis tolerance between two networks of one kind (NaN: never)."""
        reach = no_reach()
        reach[NETWORK_CODES, NETWORK_CODES] = norms.number("duplicates.axis_tolerance")
        return reach

    def judged_objects(self, scene) -> np.ndarray:
        """(objects,) bool: the mains (a house connection is not entered twice as a main)."""
        return objects_with_role(scene, "main")

    def evaluate(self, scene, contacts, norms) -> Hits:
        contacts = judged_contacts(self, contacts, norms)
        tolerance = norms.get("duplicates.axis_tolerance")
        obj_i, obj_j = contacts.objects[:, 0], contacts.objects[:, 1]
        main = self.judged_objects(scene)
        kind_i, kind_j = contacts.kinds[:, 0], contacts.kinds[:, 1]
        capsules = contacts.pairs[:, 1] < scene.n_capsules
        duplicate = (capsules & main[obj_i] & main[obj_j] & (kind_i == kind_j) & IS_NETWORK[kind_i]
                     & (contacts.abs_cos >= SAME_DIRECTION_COS))
        axis_gap = np.full(len(duplicate), np.inf)  # only where the cheap tests pass
        axis_gap[duplicate] = np.linalg.norm(contacts.witness_j[duplicate] - contacts.witness_i[duplicate], axis=1)
        duplicate &= axis_gap < tolerance.value - CONTACT_TOLERANCE
        required = np.full(len(duplicate), tolerance.value)
        regime = np.full(len(duplicate), PARALLEL, dtype=np.int8)
        hits = pair_hits(self.id, scene, contacts, duplicate, required, regime, np.zeros(len(duplicate), np.int64),
                         (tolerance,))
        gap = axis_gap[duplicate]  # report the gap between the axes, not the surface distance
        return replace(hits, actual=gap, excess=tolerance.value - gap)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        return (f"{b} duplicates {a} {at_chainage(conflict)}: same kind, axes {metres(conflict.actual)} apart "
                f"(within {metres(conflict.required)}, {provenance(conflict)}); the same network entered twice?")
