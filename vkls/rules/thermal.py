"""Thermal influence: warm networks (heat, MV cables) near drinking water and power cables.

Pairs are directional (``norms/thermal.toml``: ``kinds = [source, sensitive]``): the
required distance is ``parallel`` side by side, ``crossing`` where the sensitive network
crosses or lies below the source, and ``above`` where it lies above it (warmth rises:
drinking water above a heat pipe warms most). Where this rule flags a pair, the plain
clearance rule does not report it again.
"""

from __future__ import annotations

import numpy as np

from vkls.geometry.scene import KIND_CODE, KIND_NAMES
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
from vkls.rules.clearance import classify
from vkls.rules.text import at_chainage, metres, provenance, relation


class ThermalRule:
    """Heat sources must keep their distance from drinking water and from power cables."""

    id = "thermal"
    title = "Thermal influence: heat and MV cables near drinking water and power cables"
    supersedes = ("clearance",)

    def _tables(self, norms):
        size = len(KIND_NAMES)
        source_of = np.full((size, size), -1, dtype=np.int64)  # which side is the source: 0 = i, 1 = j
        entry_index = np.full((size, size), -1, dtype=np.int64)
        entries = tuple(norms.thermal.values())
        for index, entry in enumerate(entries):
            source, sensitive = KIND_CODE[entry.kinds[0]], KIND_CODE[entry.kinds[1]]
            entry_index[source, sensitive] = entry_index[sensitive, source] = index
            source_of[source, sensitive], source_of[sensitive, source] = 0, 1
        return source_of, entry_index, entries

    def reach(self, norms) -> np.ndarray:
        """(K, K) the largest distance this rule requires per pair of kind codes (NaN: never)."""
        return np.fmax.reduce(self.reach_by_regime(norms))

    def reach_by_regime(self, norms) -> np.ndarray:
        """(3, K, K) the distance required side by side (PARALLEL), and at crossings and stacked (where
        the sensitive network may lie above or below the source)."""
        size = len(KIND_NAMES)
        reach = np.full((3, size, size), np.nan)
        for entry in norms.thermal.values():
            i, j = KIND_CODE[entry.kinds[0]], KIND_CODE[entry.kinds[1]]
            across = max(entry.crossing, entry.above)
            for regime, largest in ((PARALLEL, entry.parallel), (CROSSING, across), (STACKED, across)):
                reach[regime, i, j] = reach[regime, j, i] = np.fmax(reach[regime, i, j], largest)
        return reach

    def evaluate(self, scene, contacts, norms) -> Hits:
        contacts = judged_contacts(self, contacts, norms)
        source_of, entry_index, entries = self._tables(norms)
        if not entries:
            return Hits.empty(self.id)
        kind_i, kind_j = contacts.kinds[:, 0], contacts.kinds[:, 1]
        index = entry_index[kind_i, kind_j]
        capsules = contacts.pairs[:, 1] < scene.n_capsules
        applies = (index >= 0) & capsules
        table = np.array([[e.parallel, e.crossing, e.above] for e in entries])
        row = np.maximum(index, 0)
        regime = classify(scene, contacts, norms)
        # the sensitive network lies above the source where its witness is higher
        z_i, z_j = contacts.witness_i[:, 2], contacts.witness_j[:, 2]
        sensitive_z = np.where(source_of[kind_i, kind_j] == 0, z_j, z_i)
        source_z = np.where(source_of[kind_i, kind_j] == 0, z_i, z_j)
        above = (sensitive_z > source_z) & (regime != PARALLEL)
        required = np.where(regime == PARALLEL, table[row, 0], np.where(above, table[row, 2], table[row, 1]))
        required = np.where(applies, required, np.nan)
        uncertainty = pair_uncertainty(scene, contacts)
        violated = applies & might_violate(np.nan_to_num(required, nan=-np.inf) - contacts.distance, uncertainty)
        return pair_hits(self.id, scene, contacts, violated, required, regime, index, entries, uncertainty)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        entry_reason = conflict.reason
        where = at_chainage(conflict)
        need = f"required {metres(conflict.required)}"
        if conflict.regime == "parallel":
            how = f"runs {metres(conflict.actual)} beside"
        elif conflict.regime == "stacked":
            how = f"runs {metres(conflict.actual)} {relation(conflict)}"
        else:
            how = f"crosses {metres(conflict.actual)} {relation(conflict)}"
        return f"{a} {how} {b} {where}; {need}: {entry_reason} ({provenance(conflict)})."
