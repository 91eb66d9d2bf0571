"""Reservations: corridors kept free for a future network (e.g. a heat network).

Mains, rack parts and tree trunks inside a reserved corridor conflict with it. House
connections that cross a corridor are not reported: a future network crosses them like
any other network does.
"""

from __future__ import annotations

import numpy as np

from vkls.geometry.scene import KIND_CODE, NETWORK_CODES, TRUNK_ROLES, objects_with_role
from vkls.model import RESERVATION_KIND, TREE_KIND
from vkls.rules.base import NOT_APPLICABLE, Hits, kind_pair_reach, make_hits, might_violate, pair_hits
from vkls.rules.section_geometry import rect_overlap, section_point
from vkls.rules.loader import NormValue
from vkls.rules.text import at_chainage

#: A corridor's provenance: it is the street designer's own decision, not a norm value.
RESERVATION_ENTRY = NormValue(key="reservations", value=0.0, status="local",
                              source="a reservation in the street file", origin="street file")


class ReservationRule:
    """Nothing inside a reserved corridor."""

    id = "reservation"
    title = "Reservations: nothing inside a corridor kept free for a future network"
    supersedes: tuple[str, ...] = ()

    def reach(self, norms) -> np.ndarray:
        """(K, K) zero between a reservation and the networks and trees: only what lies inside is flagged."""
        return kind_pair_reach(KIND_CODE[RESERVATION_KIND], np.r_[NETWORK_CODES, KIND_CODE[TREE_KIND]], 0.0)

    def evaluate(self, scene, contacts, norms) -> Hits:
        if not scene.has_section or not scene.street.reservations:
            return Hits.empty(self.id)
        obj_i, obj_j = contacts.objects[:, 0], contacts.objects[:, 1]
        reserved = KIND_CODE[RESERVATION_KIND]
        res_i, res_j = contacts.kinds[:, 0] == reserved, contacts.kinds[:, 1] == reserved
        other = np.where(res_i, obj_j, obj_i)
        counted = objects_with_role(scene, "main", *TRUNK_ROLES)
        applies = (res_i ^ res_j) & counted[other]
        required = np.zeros(len(applies))
        regime = np.full(len(applies), NOT_APPLICABLE, dtype=np.int8)
        hits = pair_hits(self.id, scene, contacts, applies & might_violate(-contacts.distance, np.zeros(len(applies))),
                         required, regime, np.zeros(len(applies), np.int64), (RESERVATION_ENTRY,))
        return Hits.concatenate(self.id, [hits, self._rack_parts(scene)])

    def _rack_parts(self, scene) -> Hits:
        """Rack parts (boxes) inside a corridor, found in the section."""
        ids = {o.id: k for k, o in enumerate(scene.objects)}
        rows = []
        for reservation in scene.street.reservations:
            rect = (reservation.offset, reservation.offset + reservation.width, reservation.depth_top,
                    reservation.depth_bottom)
            for part in scene.rack_parts:
                gap = rect_overlap(rect, (part.offset_min, part.offset_max, part.depth_min, part.depth_max))
                if gap < 0:
                    a, b = sorted((ids[reservation.id], ids[f"rack/{part.id}"]))
                    witness = section_point(scene, reservation.chainage_start, part.offset_min, part.depth_min)
                    rows.append((a, b, gap, reservation.chainage_start, reservation.chainage_end, witness))
        if not rows:
            return Hits.empty(self.id)
        actual = np.array([r[2] for r in rows])
        return make_hits(self.id, [r[0] for r in rows], [r[1] for r in rows], np.zeros(len(rows)), actual, -actual,
                         [r[3] for r in rows], [r[4] for r in rows], np.array([r[5] for r in rows]),
                         entry=np.zeros(len(rows)), entries=(RESERVATION_ENTRY,))

    def explain(self, conflict) -> str:
        a, b = conflict.labels
        corridor, thing = (a, b) if conflict.kinds[0] == RESERVATION_KIND else (b, a)
        return (f"{thing} lies inside {corridor} {at_chainage(conflict)}; "
                f"the corridor is kept free for a future network.")
