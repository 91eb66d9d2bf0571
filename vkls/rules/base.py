"""The shape every rule has, and the fixed-shape table of its hits.

A rule is a small object with an ``id``, a ``title`` and three methods:

- ``margins(scene, norms) -> (objects,) float``: half the largest distance the rule
  could require for any pair involving each object. The broad phase enlarges every
  primitive by the largest margin over all rules, so it never misses a pair a rule
  could flag (for any pair, margin_a + margin_b >= required_ab).
- ``evaluate(scene, contacts, norms) -> Hits``: every violation, one row per primitive
  pair (pairwise rules read ``contacts``; single-object rules such as cover depth or
  bend radius read the scene and set ``object_b = -1``).
- ``explain(conflict) -> str``: one plain sentence with numbers and the source.

Rules never see Python objects per pair: they filter the contact arrays with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

#: Values of ``Hits.regime``.
#: side by side, crossing, running parallel one above the other, or no direction (a point, a box).
PARALLEL, CROSSING, STACKED, NOT_APPLICABLE = 0, 1, 2, 3
REGIME_NAMES = ("parallel", "crossing", "stacked", "n/a")


@dataclass(frozen=True)
class Hits:
    """Violations found by one rule, one row per primitive pair (or object).

    Attributes
    ----------
    rule : str
    object_a, object_b : (h,) int64
        Scene object indices, ``object_a < object_b``; ``object_b = -1`` for one-object rules.
    required, actual : (h,) float64, metres
        Required and actual distance (surface to surface).
    chainage_start, chainage_end : (h,) float64, metres
        Stretch of the route the hit covers.
    chainage : (h,) float64, metres
        Chainage of the witness point.
    witness : (h, 3) float64, metres (local coordinates)
    regime : (h,) int8
        PARALLEL, CROSSING, STACKED or NOT_APPLICABLE.
    horizontal, vertical : (h,) float64, metres
        Horizontal and vertical gap between the surfaces (NaN where not meaningful).
    entry : (h,) int64
        Index into ``entries``: the norm value (with status and source) that was applied.
    entries : tuple
        ClearanceEntry or NormValue objects.
    """

    rule: str
    object_a: np.ndarray
    object_b: np.ndarray
    required: np.ndarray
    actual: np.ndarray
    chainage_start: np.ndarray
    chainage_end: np.ndarray
    chainage: np.ndarray
    witness: np.ndarray
    regime: np.ndarray
    horizontal: np.ndarray
    vertical: np.ndarray
    entry: np.ndarray
    entries: tuple

    def __len__(self) -> int:
        return len(self.required)

    @classmethod
    def empty(cls, rule: str) -> "Hits":
        f = np.zeros(0)
        i = np.zeros(0, dtype=np.int64)
        return cls(rule, i, i, f, f, f, f, f, np.zeros((0, 3)), np.zeros(0, dtype=np.int8), f, f, i, ())


class Rule(Protocol):
    """Interface of every rule module in :mod:`vkls.rules`."""

    id: str
    title: str

    def margins(self, scene, norms) -> np.ndarray: ...

    def evaluate(self, scene, contacts, norms) -> Hits: ...

    def explain(self, conflict) -> str: ...


def separation(scene, contacts, mask=None):
    """Regime-independent geometry of contact rows: lateral offsets and directions.

    For two capsules the vector between the witnesses is reduced to its part
    perpendicular to the first segment, so that two parallel chains offset along the
    route (segment k against segment k + 2) are still seen side by side or stacked.

    Returns
    -------
    lateral : (p, 3) float64, metres
        Witness-to-witness vector without its component along the first capsule.
    horizontal_axis, vertical_axis : (p,) float64, metres
        Horizontal and vertical length of ``lateral``.
    """
    rows = slice(None) if mask is None else mask
    pairs = contacts.pairs[rows]
    delta = contacts.witness_j[rows] - contacts.witness_i[rows]
    first = np.minimum(pairs[:, 0], max(scene.n_capsules - 1, 0))
    direction = scene.cap_b[first] - scene.cap_a[first] if scene.n_capsules else np.zeros_like(delta)
    length = np.linalg.norm(direction, axis=1)
    unit = np.divide(direction, length[:, None], out=np.zeros_like(direction), where=length[:, None] > 0)
    unit[pairs[:, 0] >= scene.n_capsules] = 0.0
    lateral = delta - np.einsum("ij,ij->i", delta, unit)[:, None] * unit
    return lateral, np.hypot(lateral[:, 0], lateral[:, 1]), np.abs(lateral[:, 2])


def witness_chainage(scene, primitives: np.ndarray, witness: np.ndarray) -> np.ndarray:
    """Chainage of witness points on their primitives, interpolated along each primitive.

    Parameters
    ----------
    primitives : (p,) int64
        Primitive indices [capsules | boxes | cylinders].
    witness : (p, 3) float64, metres (local)

    Returns
    -------
    (p,) float64, metres
    """
    chainage = scene.primitive_chainage[primitives]
    t = np.full(len(primitives), 0.5)
    capsule = primitives < scene.n_capsules
    if capsule.any():
        k = primitives[capsule]
        axis = scene.cap_b[k] - scene.cap_a[k]
        length2 = np.einsum("ij,ij->i", axis, axis)
        along = np.einsum("ij,ij->i", witness[capsule] - scene.cap_a[k], axis)
        t[capsule] = np.divide(along, length2, out=np.full(len(k), 0.5), where=length2 > 0)
    box = (primitives >= scene.n_capsules) & (primitives < scene.n_capsules + scene.n_boxes)
    if box.any():
        k = primitives[box] - scene.n_capsules
        along = np.einsum("ij,ij->i", witness[box] - scene.box_c[k], scene.box_axes[k, 0])
        t[box] = 0.5 + along / (2 * scene.box_h[k, 0])
    t = np.clip(t, 0.0, 1.0)
    return chainage[:, 0] + t * (chainage[:, 1] - chainage[:, 0])


def pair_hits(rule, scene, contacts, mask, required, regime, entry, entries) -> Hits:
    """Collect the rows of ``contacts`` selected by ``mask`` into a :class:`Hits` table.

    Chainage: where two primitives run side by side or stacked (PARALLEL, STACKED) a hit
    covers the overlap of their chainage ranges; otherwise it sits at the witness on the
    primitive with the longer chainage range (the main, not the crossing connection).
    """
    pairs = contacts.pairs[mask]
    objects = scene.primitive_object
    obj_i, obj_j = objects[pairs[:, 0]], objects[pairs[:, 1]]
    swap = obj_i > obj_j
    a, b = np.where(swap, obj_j, obj_i), np.where(swap, obj_i, obj_j)
    wi, wj = contacts.witness_i[mask], contacts.witness_j[mask]
    chainage = scene.primitive_chainage
    ci, cj = chainage[pairs[:, 0]], chainage[pairs[:, 1]]
    start, end = np.maximum(ci[:, 0], cj[:, 0]), np.minimum(ci[:, 1], cj[:, 1])
    longer_is_i = (ci[:, 1] - ci[:, 0]) >= (cj[:, 1] - cj[:, 0])
    point = np.where(longer_is_i, witness_chainage(scene, pairs[:, 0], wi), witness_chainage(scene, pairs[:, 1], wj))
    kept_regime = regime[mask]
    along = ((kept_regime == PARALLEL) | (kept_regime == STACKED)) & (start <= end)
    start, end = np.where(along, start, point), np.where(along, end, point)
    _, horizontal_axis, vertical_axis = separation(scene, contacts, mask)
    radii = contacts.radius_i[mask] + contacts.radius_j[mask]
    is_pair = kept_regime != NOT_APPLICABLE
    return Hits(rule=rule, object_a=a, object_b=b, required=required[mask], actual=contacts.distance[mask],
                chainage_start=start, chainage_end=end, chainage=point, witness=(wi + wj) / 2, regime=kept_regime,
                horizontal=np.where(is_pair, horizontal_axis - radii, np.nan),
                vertical=np.where(is_pair, vertical_axis - radii, np.nan), entry=entry[mask], entries=entries)
