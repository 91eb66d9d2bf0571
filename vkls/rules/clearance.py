"""Pairwise clearance: the required surface-to-surface distance per pair of kinds.

Values come from ``norms/clearance.toml``: ``parallel`` for objects side by side,
``crossing`` for objects that cross or that run parallel one above the other (VKLS
levels). Network-rack pairs use the ``rack`` entry (0: resting on a beam is touching,
not a conflict). Objects of one network (a main and its own house connections) are
never paired: the broad phase skips pairs within a group. Both the horizontal and the
vertical gap are reported, since operators state them separately.
"""

from __future__ import annotations

import math

import numpy as np

from vkls.geometry.regimes import contact_regimes
from vkls.geometry.scene import KIND_CODE, KIND_NAMES
from vkls.model import RACK_KIND, NetworkKind
from vkls.rules.base import (
    CROSSING,
    PARALLEL,
    STACKED,
    Hits,
    judged_contacts,
    might_violate,
    pair_hits,
    pair_uncertainty,
)
from vkls.rules.text import at_chainage, metres, provenance, relation


def pair_matrices(norms, entry_of):
    """(K, K) arrays of two numbers per kind pair from an ``entry_of(kind_a, kind_b)`` lookup.

    Returns
    -------
    first, second : (K, K) float64 (NaN where the lookup gives None)
    entry_index : (K, K) int64 into ``entries``
    entries : tuple
    """
    size = len(KIND_NAMES)
    first, second = np.full((size, size), np.nan), np.full((size, size), np.nan)
    entry_index = np.full((size, size), -1, dtype=np.int64)
    entries: list = []
    for a in KIND_NAMES:
        for b in KIND_NAMES:
            found = entry_of(a, b)
            if found is None:
                continue
            entry, values = found
            if entry not in entries:
                entries.append(entry)
            i, j = KIND_CODE[a], KIND_CODE[b]
            first[i, j], second[i, j] = values
            entry_index[i, j] = entries.index(entry)
    return first, second, entry_index, tuple(entries)


NETWORK_KINDS = frozenset(k.value for k in NetworkKind)


class ClearanceRule:
    """Clearance between networks (parallel, crossing, stacked) and between networks and rack parts."""

    id = "clearance"
    title = "Clearance between cables, pipes and rack parts (kind x kind matrix)"
    supersedes: tuple[str, ...] = ()

    def _matrices(self, norms):
        """(K, K) parallel, crossing, entry index and the entries; made once per norms (a lookup per
        pair of kinds), since the engine and the rule ask for them several times in one check."""
        made = getattr(self, "_made", None)
        if made is None or made[0] is not norms:
            made = self._made = (norms, self._lookup_matrices(norms))
        return made[1]

    def _lookup_matrices(self, norms):
        def lookup(a, b):
            if (a in NETWORK_KINDS and (b in NETWORK_KINDS or b == RACK_KIND)) or (a == RACK_KIND and b in NETWORK_KINDS):
                entry = norms.clearance(a, b)
                return entry, (entry.parallel, entry.crossing)
            return None

        return pair_matrices(norms, lookup)

    def reach(self, norms) -> np.ndarray:
        """(K, K) the largest distance this rule requires per pair of kind codes (NaN: never)."""
        return np.fmax.reduce(self.reach_by_regime(norms))

    def reach_by_regime(self, norms) -> np.ndarray:
        """(3, K, K) the distance required side by side (PARALLEL), at crossings and stacked."""
        parallel, crossing, _, _ = self._matrices(norms)
        by_regime = np.empty((3,) + parallel.shape)
        by_regime[PARALLEL], by_regime[CROSSING], by_regime[STACKED] = parallel, crossing, crossing
        return by_regime

    def evaluate(self, scene, contacts, norms) -> Hits:
        contacts = judged_contacts(self, contacts, norms)
        parallel, crossing, entry_index, entries = self._matrices(norms)
        kind_i, kind_j = contacts.kinds[:, 0], contacts.kinds[:, 1]
        applies = ~np.isnan(parallel[kind_i, kind_j])
        regime = classify(scene, contacts, norms)
        required = np.where(regime == PARALLEL, parallel[kind_i, kind_j], crossing[kind_i, kind_j])
        uncertainty = pair_uncertainty(scene, contacts)
        violated = applies & might_violate(np.nan_to_num(required, nan=-np.inf) - contacts.distance, uncertainty)
        return pair_hits(self.id, scene, contacts, violated, required, regime, entry_index[kind_i, kind_j], entries,
                         uncertainty)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        where = at_chainage(conflict)
        need = f"required {metres(conflict.required)} ({provenance(conflict)})"
        if RACK_KIND in conflict.kinds:
            network, part = (a, b) if conflict.kinds[1] == RACK_KIND else (b, a)
            if conflict.actual < 0:
                return f"{network} passes through the {part} by {metres(-conflict.actual)} {where}; {need}."
            return f"{network} runs {metres(conflict.actual)} from the {part} {where}; {need}."
        if conflict.actual < 0:
            return f"{a} overlaps {b} by {metres(-conflict.actual)} {where}; {need}."
        if conflict.regime == "crossing":
            return f"{a} crosses {b} {metres(conflict.actual)} apart {where}; {need} at crossings."
        if conflict.regime == "stacked":
            return (f"{a} runs {metres(conflict.actual)} {relation(conflict)} {b} {where}; "
                    f"{need} between networks stacked vertically.")
        return f"{a} runs {metres(conflict.actual)} beside {b} {where}; {need} side by side."


def side_by_side_cos(norms) -> float:
    """|cos| at and above which two segments run side by side: ``clearance.parallel_angle``."""
    return math.cos(math.radians(norms.number("clearance.parallel_angle")))


def classify(scene, contacts, norms) -> np.ndarray:
    """Regime of every contact row: PARALLEL, STACKED, CROSSING (capsule pairs) or NOT_APPLICABLE.

    Two segments within ``clearance.parallel_angle`` of each other run side by side
    (PARALLEL) unless their separation across the segments is mostly vertical (STACKED).
    """
    return contact_regimes(contacts.abs_cos, contacts.lateral_horizontal, contacts.lateral_vertical,
                           contacts.pairs[:, 1] < scene.n_capsules, side_by_side_cos(norms))
