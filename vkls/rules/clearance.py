"""Pairwise clearance: the required surface-to-surface distance per pair of kinds.

Values come from ``norms/clearance.toml``: ``parallel`` for objects side by side,
``crossing`` for objects that cross or that run parallel one above the other (VKLS
levels). Network-rack pairs use the ``rack`` entry (0: resting on a beam is touching,
not a conflict). Objects of one network (a main and its own house connections) are
never paired: the broad phase skips pairs within a group.
"""

from __future__ import annotations

import math

import numpy as np

from vkls.geometry.scene import KIND_CODE, KIND_NAMES
from vkls.geometry.tolerances import CONTACT_TOLERANCE
from vkls.model import RACK_KIND, NetworkKind
from vkls.rules.base import CROSSING, NOT_APPLICABLE, PARALLEL, STACKED, Hits, pair_hits, separation
from vkls.rules.text import at_chainage, metres, provenance

NETWORK_CODES = np.array([KIND_CODE[k.value] for k in NetworkKind], dtype=np.int64)


class ClearanceRule:
    """Clearance between networks (parallel, crossing, stacked) and between networks and rack parts."""

    id = "clearance"
    title = "Clearance between cables, pipes and rack parts (kind x kind matrix)"

    def _matrices(self, norms):
        """(K, K) required parallel and crossing distances, entry index, and the entries."""
        size = len(KIND_NAMES)
        parallel = np.full((size, size), np.nan)
        crossing = np.full((size, size), np.nan)
        entry_index = np.full((size, size), -1, dtype=np.int64)
        entries: list = []
        participating = [k.value for k in NetworkKind] + [RACK_KIND]
        for a in participating:
            for b in participating:
                if a == RACK_KIND and b == RACK_KIND:
                    continue
                entry = norms.clearance(a, b)
                if entry not in entries:
                    entries.append(entry)
                i, j = KIND_CODE[a], KIND_CODE[b]
                parallel[i, j], crossing[i, j] = entry.parallel, entry.crossing
                entry_index[i, j] = entries.index(entry)
        return parallel, crossing, entry_index, tuple(entries)

    def margins(self, scene, norms) -> np.ndarray:
        parallel, crossing, _, _ = self._matrices(norms)
        worst = np.nanmax(np.fmax(parallel, crossing), axis=1, initial=0.0)
        worst = np.nan_to_num(worst, nan=0.0)
        return worst[scene.object_kind] / 2

    def evaluate(self, scene, contacts, norms) -> Hits:
        parallel, crossing, entry_index, entries = self._matrices(norms)
        objects = scene.primitive_object
        obj_i, obj_j = objects[contacts.pairs[:, 0]], objects[contacts.pairs[:, 1]]
        kind_i, kind_j = scene.object_kind[obj_i], scene.object_kind[obj_j]
        applies = ~np.isnan(parallel[kind_i, kind_j])
        both_capsules = contacts.pairs[:, 1] < scene.n_capsules
        cos_limit = math.cos(math.radians(norms.number("clearance.parallel_angle")))
        _, horizontal_axis, vertical_axis = separation(scene, contacts)
        side_by_side = contacts.abs_cos >= cos_limit
        regime = np.where(side_by_side, np.where(vertical_axis > horizontal_axis, STACKED, PARALLEL), CROSSING)
        regime = np.where(both_capsules, regime, NOT_APPLICABLE).astype(np.int8)
        required = np.where(regime == PARALLEL, parallel[kind_i, kind_j], crossing[kind_i, kind_j])
        violated = applies & (contacts.distance < np.nan_to_num(required, nan=-np.inf) - CONTACT_TOLERANCE)
        return pair_hits(self.id, scene, contacts, violated, required, regime, entry_index[kind_i, kind_j], entries)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        where = at_chainage(conflict)
        need = f"required {metres(conflict.required)} ({provenance(conflict)})"
        if RACK_KIND in conflict.kinds:
            network, part = (a, b) if conflict.kinds[1] == RACK_KIND else (b, a)
            if conflict.actual < 0:
                return (f"{network} passes through the {part} by {metres(-conflict.actual)} {where}; "
                        f"{need}.")
            return f"{network} runs {metres(conflict.actual)} from the {part} {where}; {need}."
        if conflict.actual < 0:
            return f"{a} overlaps {b} by {metres(-conflict.actual)} {where}; {need}."
        if conflict.regime == "crossing":
            return f"{a} crosses {b} {metres(conflict.actual)} apart {where}; {need} at crossings."
        if conflict.regime == "stacked":
            return (f"{a} runs {metres(conflict.actual)} above or below {b} {where}; "
                    f"{need} between networks stacked vertically.")
        return f"{a} runs {metres(conflict.actual)} beside {b} {where}; {need} side by side."
