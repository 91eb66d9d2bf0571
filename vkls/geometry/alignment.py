"""The route as an alignment: chainage along the facade line and lateral offsets from it.

Coordinates are made local by subtracting the first route vertex (``origin``), so the
engine works on numbers of a few hundred metres instead of RD New's ~1e5 m.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vkls.model import Route

#: Offsets at a vertex are pushed out along the angle bisector by 1/cos(half turn);
#: for turns sharper than this factor allows the push is capped, since the offset
#: curve then folds back on itself (the inside of a hairpin).
MAX_MITER = 4.0


@dataclass(frozen=True)
class Alignment:
    """A route prepared for sweeping.

    Attributes
    ----------
    origin : (2,) float64, metres RD New
        Subtracted from all coordinates.
    xy : (n, 2) float64, metres
        Local route vertices.
    chainage : (n,) float64, metres
        Distance along the route at each vertex.
    leg_normal : (n - 1, 2) float64
        Unit normal of each leg pointing to the street side.
    ground_level : float, metres NAP
    """

    origin: np.ndarray
    xy: np.ndarray
    chainage: np.ndarray
    leg_normal: np.ndarray
    ground_level: float

    @property
    def length(self) -> float:
        """Total route length, metres."""
        return float(self.chainage[-1])

    @classmethod
    def from_route(cls, route: Route) -> "Alignment":
        origin = route.xy[0].copy()
        xy = route.xy - origin
        legs = np.diff(xy, axis=0)
        leg_length = np.hypot(legs[:, 0], legs[:, 1])
        tangent = legs / leg_length[:, None]
        sign = -1.0 if route.street_side == "right" else 1.0
        normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) * sign
        chainage = np.concatenate([[0.0], np.cumsum(leg_length)])
        return cls(origin=origin, xy=xy, chainage=chainage, leg_normal=normal, ground_level=route.ground_level)

    def stations(self, step: float) -> np.ndarray:
        """Chainages that sample the route: every vertex, plus points at most ``step`` apart.

        Returns
        -------
        (k,) float64, metres, increasing.
        """
        parts = []
        for start, end in zip(self.chainage[:-1], self.chainage[1:]):
            count = max(1, int(np.ceil((end - start) / step - 1e-9)))
            parts.append(np.linspace(start, end, count + 1)[:-1])
        parts.append(self.chainage[-1:])
        return np.concatenate(parts)

    def frame(self, chainage: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Point on the route, unit tangent and offset direction at each chainage.

        The offset direction is the leg normal inside a leg and the miter vector
        (bisector / cos of half the turn) at an interior vertex, so that
        ``point + offset * direction`` traces the exact parallel curve at distance
        ``offset`` from the facade line.

        Parameters
        ----------
        chainage : (k,) float64, metres, within [0, length]

        Returns
        -------
        point : (k, 2) float64, metres (local)
        tangent : (k, 2) float64, unit
        offset_direction : (k, 2) float64, length >= 1
        """
        chainage = np.clip(np.asarray(chainage, dtype=np.float64), 0.0, self.length)
        leg = np.clip(np.searchsorted(self.chainage, chainage, side="right") - 1, 0, len(self.leg_normal) - 1)
        along = chainage - self.chainage[leg]
        legs = np.diff(self.xy, axis=0)
        tangent = legs / np.hypot(legs[:, 0], legs[:, 1])[:, None]
        point = self.xy[leg] + tangent[leg] * along[:, None]
        direction = self.leg_normal[leg].copy()
        at_vertex = np.isclose(along, 0.0, atol=1e-9) & (leg > 0)
        if at_vertex.any():
            n_prev = self.leg_normal[leg[at_vertex] - 1]
            n_next = self.leg_normal[leg[at_vertex]]
            bisector = n_prev + n_next
            norm = np.hypot(bisector[:, 0], bisector[:, 1])
            safe = norm > 1e-12
            bisector[safe] /= norm[safe][:, None]
            bisector[~safe] = n_next[~safe]
            cos_half = np.einsum("ij,ij->i", bisector, n_next)
            scale = 1.0 / np.maximum(cos_half, 1.0 / MAX_MITER)
            direction[at_vertex] = bisector * scale[:, None]
        return point, tangent[leg], direction

    def place(self, chainage: np.ndarray, offset: np.ndarray) -> np.ndarray:
        """Local xy of points at (chainage, offset from the facade).

        Returns
        -------
        (k, 2) float64, metres (local)
        """
        point, _, direction = self.frame(chainage)
        return point + direction * np.asarray(offset, dtype=np.float64)[..., None]
