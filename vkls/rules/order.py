"""Order: NEN 7171 strip order from the facade, VKLS level order, and which networks may share a rack.

- Horizontal: networks in the sidewalk (not on a rack, not in the carriageway) should lie
  from the facade outward in ``placement.sidewalk_order`` (configurable per municipality).
  Neighbours out of order are reported.
- Vertical: networks on the rack should lie top to bottom in ``placement.vkls_order``
  (telecom on top, heat at the bottom). Networks on consecutive levels of one half of the
  rack out of order are reported.
- Combinations: ``[[order.rack_exclusion]]`` names kinds that may not share a VKLS rack.
"""

from __future__ import annotations

import numpy as np

from vkls.geometry.section import carriageway_span
from vkls.rules.base import Hits, make_hits, no_reach
from vkls.rules.section_geometry import main_object_index, section_point
from vkls.rules.text import provenance


class OrderRule:
    """Placement order of the networks in the cross-section."""

    id = "order"
    title = "Order: NEN 7171 strips from the facade, VKLS levels top to bottom, networks allowed in a rack"
    supersedes: tuple[str, ...] = ()

    def reach(self, norms) -> np.ndarray:
        return no_reach()

    def evaluate(self, scene, contacts, norms) -> Hits:
        if not scene.has_section:  # a map of existing networks has no designed cross-section
            return Hits.empty(self.id)
        street = scene.street
        mains = main_object_index(scene)
        rows: list[tuple] = []  # (network a, network b, required, actual, entry, what)
        sidewalk = norms.get("placement.sidewalk_order")
        rank = {kind: i for i, kind in enumerate(sidewalk.value)}
        span = carriageway_span(street.zones)
        limit = span[0] if span else np.inf
        strips = sorted(((p.axis_offsets[0], n) for n in street.networks
                         if n.id not in scene.rack_networks and n.kind.value in rank
                         and (p := scene.placements[n.id]).axis_offsets[0] < limit), key=lambda t: (t[0], t[1].id))
        for (offset_a, a), (offset_b, b) in zip(strips, strips[1:]):
            if rank[a.kind.value] > rank[b.kind.value]:
                rows.append((a, b, offset_b, offset_a, sidewalk, "strip"))
        vertical = norms.get("placement.vkls_order")
        vrank = {kind: i for i, kind in enumerate(vertical.value)}
        if street.rack is not None:
            levels = [lv for lv in street.rack.levels if lv.networks]
            for upper, lower in ((u, w) for side in ("street", "facade")  # the order holds within each half
                                 for half in [[lv for lv in levels if lv.side == side]]
                                 for u, w in zip(half, half[1:])):
                for a in (street.network(i) for i in upper.networks):
                    for b in (street.network(i) for i in lower.networks):
                        if vrank.get(a.kind.value, -1) > vrank.get(b.kind.value, len(vrank)):
                            rows.append((a, b, scene.placements[b.id].cover, scene.placements[a.id].cover,
                                         vertical, "level"))
            on_rack = [street.network(i) for lv in levels for i in lv.networks]
            reported = set()
            for index, a in enumerate(on_rack):
                for b in on_rack[index + 1:]:
                    entry = norms.rack_exclusion(a.kind.value, b.kind.value)
                    if entry is None:
                        continue
                    if "*" in entry.kinds:
                        excluded = a if a.kind.value in entry.kinds else b
                        if excluded.id not in reported:
                            reported.add(excluded.id)
                            rows.append((excluded, None, 0.0, 1.0, entry, "rack-any"))
                    else:
                        rows.append((a, b, 0.0, 1.0, entry, "rack-pair"))
        if not rows:
            return Hits.empty(self.id)
        entries: list = []
        for row in rows:
            if row[4] not in entries:
                entries.append(row[4])
        middle = scene.alignment.length / 2
        witness = np.array([section_point(scene, middle, scene.placements[a.id].axis_offsets[0],
                                          scene.placements[a.id].axis_depth) for a, *_ in rows])
        required = np.array([r[2] for r in rows])
        actual = np.array([r[3] for r in rows])
        return make_hits(self.id, [mains[a.id] for a, *_ in rows], [mains[b.id] if b else -1 for _, b, *_ in rows],
                         required, actual, np.ones(len(rows)), np.zeros(len(rows)),  # yes/no finding: excess 1
                         np.full(len(rows), scene.alignment.length), witness,
                         entry=[entries.index(r[4]) for r in rows], entries=entries,
                         chainage=np.full(len(rows), middle))

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        norm = conflict.norm
        if conflict.objects[1] is None:
            return f"{a} may not share a VKLS rack with other networks ({provenance(conflict)})."
        if getattr(norm, "key", "") == "placement.sidewalk_order":
            order = ", ".join(norm.value)
            return (f"{a} lies nearer the facade ({conflict.actual:.2f} m) than {b} ({conflict.required:.2f} m), "
                    f"but the order from the facade is {order} ({provenance(conflict)}).")
        if getattr(norm, "key", "") == "placement.vkls_order":
            order = ", ".join(norm.value)
            return (f"{a} lies on a rack level above {b} ({conflict.actual:.2f} m against {conflict.required:.2f} m "
                    f"deep), but the VKLS order top to bottom is {order} ({provenance(conflict)}).")
        return f"{a} and {b} may not share a VKLS rack ({provenance(conflict)})."
