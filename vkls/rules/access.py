"""Access: what must be exposed to dig down to each network, and whether the trench room is free.

- A network outside a rack is dug from the surface: a trench over its width plus
  ``access.working_room`` on each side, down to its underside. Every other network in
  that trench must be exposed to reach it (Dunea: cables 0.4 m above a water main).
- A network on a VKLS rack is dug from the side away from the houses: a trench of
  ``access.trench_width`` beside the rack down to the network's level, then sideways into
  the rack at that level. Networks in that path must be exposed; trees and reservations
  in the trench room beside the rack block it.
House connections cross every trench and are not counted.
"""

from __future__ import annotations

import numpy as np

from vkls.rules.base import Hits, make_hits, no_reach
from vkls.rules.section_geometry import circle_rect_distance, main_object_index, rect_overlap, section_point
from vkls.rules.text import metres, provenance

#: Overlaps smaller than this (metres) do not expose a network: touching the trench wall is not digging it up.
EXPOSE_TOLERANCE = 1e-6


class AccessRule:
    """Networks reachable only by exposing others; trench room beside a VKLS rack."""

    id = "access"
    title = "Access: networks to expose when digging down to a network; trench room beside a VKLS rack"
    supersedes: tuple[str, ...] = ()

    def reach(self, norms) -> np.ndarray:
        return no_reach()

    def trenches(self, scene, norms) -> dict[str, list[tuple[float, float, float, float]]]:
        """Network id -> section rectangles (offset_min, offset_max, depth_min, depth_max) dug to reach it."""
        room = norms.number("access.working_room")
        width = norms.number("access.trench_width")
        rack = scene.street.rack
        trenches = {}
        for network in scene.street.networks:
            p = scene.placements[network.id]
            left, right = min(p.axis_offsets) - p.radius, max(p.axis_offsets) + p.radius
            bottom = p.axis_depth + p.radius
            if rack is not None and network.id in scene.rack_networks:
                far = rack.offset + rack.width
                trenches[network.id] = [(far, far + width, 0.0, bottom), (right, far, p.cover, bottom)]
            else:
                trenches[network.id] = [(max(0.0, left - room), right + room, 0.0, bottom)]
        return trenches

    def evaluate(self, scene, contacts, norms) -> Hits:
        if not scene.has_section:  # a map of existing networks has no designed cross-section
            return Hits.empty(self.id)
        street = scene.street
        mains = main_object_index(scene)
        entry_room, entry_width = norms.get("access.working_room"), norms.get("access.trench_width")
        trenches = self.trenches(scene, norms)
        rows = []  # (object a, object b, actual, entry, chainage_start, chainage_end, chainage, witness)
        length = scene.alignment.length
        for network in street.networks:
            entry = entry_width if network.id in scene.rack_networks else entry_room
            for other in street.networks:
                if other.id == network.id:
                    continue
                q = scene.placements[other.id]
                gap = min(circle_rect_distance(offset, q.axis_depth, q.radius, rect)
                          for offset in q.axis_offsets for rect in trenches[network.id])
                if gap < -EXPOSE_TOLERANCE:
                    witness = section_point(scene, length / 2, q.axis_offsets[0], q.axis_depth)
                    rows.append((mains[network.id], mains[other.id], gap, entry, 0.0, length, length / 2, witness))
        if street.rack is not None:
            far = street.rack.offset + street.rack.width
            room = (far, far + entry_width.value, 0.0, street.rack.bottom_depth)
            objects = {o.id: k for k, o in enumerate(scene.objects)}
            for tree in street.trees:
                gap = circle_rect_distance(tree.offset, 0.5, tree.trunk_diameter / 2, room)
                if gap < -EXPOSE_TOLERANCE:
                    witness = section_point(scene, tree.chainage, tree.offset, 0.0)
                    rows.append((objects[tree.id], -1, gap, entry_width, tree.chainage, tree.chainage,
                                 tree.chainage, witness))
            for reservation in street.reservations:
                rect = (reservation.offset, reservation.offset + reservation.width, reservation.depth_top,
                        reservation.depth_bottom)
                gap = rect_overlap(rect, room)
                if gap < -EXPOSE_TOLERANCE:
                    witness = section_point(scene, reservation.chainage_start, reservation.offset, reservation.depth_top)
                    rows.append((objects[reservation.id], -1, gap, entry_width, reservation.chainage_start,
                                 reservation.chainage_end, reservation.chainage_start, witness))
        if not rows:
            return Hits.empty(self.id)
        entries = [entry_room, entry_width]
        actual = np.array([r[2] for r in rows])
        return make_hits(self.id, [r[0] for r in rows], [r[1] for r in rows], np.zeros(len(rows)), actual, -actual,
                         [r[4] for r in rows], [r[5] for r in rows], np.array([r[7] for r in rows]),
                         chainage=[r[6] for r in rows], entry=[entries.index(r[3]) for r in rows], entries=entries)

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        if conflict.objects[1] is None:
            return (f"{a} stands in the trench room beside the VKLS rack ({provenance(conflict)}): the rack's "
                    f"networks cannot be dug up from the street side there.")
        how = ("beside the rack and sideways into it" if "trench room" in conflict.source
               else "from the surface")
        return (f"to dig down to {a} ({how}) {b} must be exposed, lying {metres(-conflict.actual)} inside the "
                f"trench ({provenance(conflict)}).")
