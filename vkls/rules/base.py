"""The shape every rule has, and the fixed-shape table of its hits.

A rule is a small object with an ``id``, a ``title`` and three methods:

- ``reach(norms) -> (K, K) float``: per pair of kind codes, the largest surface distance
  at which the rule could flag two objects (NaN: it never pairs those kinds; all NaN for
  rules that judge objects one by one). The broad phase gives every primitive a margin
  with ``margin_a + margin_b >= reach_ab`` plus their position uncertainty, and keeps only
  the pairs within the reach of some rule, so it never misses a pair a rule could flag.
- ``evaluate(scene, contacts, norms) -> Hits``: every violation, one row per primitive
  pair, per object or per pair of objects (``object_b = -1`` for one-object rules such
  as cover depth or bend radius).
- ``explain(conflict) -> str``: one plain sentence with numbers and the source.

A pairwise rule whose distance depends on the regime of two capsules (side by side,
crossing, stacked) may also have ``reach_by_regime(norms) -> (3, K, K) float``: its reach
for capsule pairs in each regime (:data:`vkls.geometry.regimes.CAPSULE_REGIMES` order),
never above ``reach``. The engine then keeps a capsule pair only within the reach of its
regime (see :func:`regime_reach`), so the rules see fewer rows and flag the same.

A pairwise rule that flags only some objects of the kinds it judges (the duplicate rule
only mains, the root-zone rule no zone behind a root barrier) may also have
``judged_objects(scene) -> (objects,) bool``: every object that may be on either side of a
pair it flags (so the root-zone rule marks the networks too, not only the zones). The
engine pairs no object that no rule judges (see :func:`vkls.pipeline.paired_objects`): a rule run alone
would lose every pair with an object it left out.

A rule may name rules it ``supersedes``: where both flag the same pair of objects, only
the more specific finding is kept (thermal influence over plain clearance, a duplicate
over an overlap).

Position uncertainty: every hit carries ``excess`` (how far past the limit at the
nominal position, positive = violated) and ``uncertainty`` (how much the excess can
change when the objects move within their accuracy). A hit is *certain* when
``excess - uncertainty`` exceeds the contact tolerance, *possible* otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Protocol

import numpy as np

# the regimes: side by side, crossing, running parallel one above the other, or no direction (a box)
from vkls.geometry.regimes import (  # noqa: F401
    CROSSING,
    NOT_APPLICABLE,
    PARALLEL,
    REGIME_NAMES,
    STACKED,
)
from vkls.geometry.tolerances import CONTACT_TOLERANCE


@dataclass(frozen=True)
class Hits:
    """Violations found by one rule.

    Attributes
    ----------
    rule : str
    object_a, object_b : (h,) int64
        Scene object indices, ``object_a < object_b``; ``object_b = -1`` for one-object rules.
    required, actual : (h,) float64, metres (or the rule's unit)
        The limit and the measured value (for clearances: surface to surface).
    excess : (h,) float64
        How far the measured value lies past the limit (positive: violated).
    uncertainty : (h,) float64
        How much ``excess`` can change within the objects' position accuracy (>= 0).
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
        Norm entries (ClearanceEntry, ThermalEntry, NormValue, ...), each with ``status`` and ``source``.
    a_above_b : (h,) int8
        +1 where object a lies above object b at the witness, -1 below, 0 level or not a pair.
    """

    rule: str
    object_a: np.ndarray
    object_b: np.ndarray
    required: np.ndarray
    actual: np.ndarray
    excess: np.ndarray
    uncertainty: np.ndarray
    chainage_start: np.ndarray
    chainage_end: np.ndarray
    chainage: np.ndarray
    witness: np.ndarray
    regime: np.ndarray
    horizontal: np.ndarray
    vertical: np.ndarray
    entry: np.ndarray
    entries: tuple
    a_above_b: np.ndarray

    def __len__(self) -> int:
        return len(self.required)

    @classmethod
    def empty(cls, rule: str) -> "Hits":
        none = np.zeros(0)
        return make_hits(rule, none, none, none, none, none, none, none, np.zeros((0, 3)), entry=none, entries=())

    @classmethod
    def concatenate(cls, rule: str, parts: list["Hits"]) -> "Hits":
        """Join hit tables of one rule (their entry indices are shifted onto one entries tuple)."""
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty(rule)
        entries: list = []
        shifted = []
        for part in parts:
            shifted.append(part.entry + len(entries))
            entries += list(part.entries)
        columns = {f.name: np.concatenate([getattr(p, f.name) for p in parts])
                   for f in fields(cls) if f.name not in ("rule", "entries", "entry")}
        return cls(rule=rule, entry=np.concatenate(shifted), entries=tuple(entries), **columns)


def make_hits(rule, object_a, object_b, required, actual, excess, chainage_start, chainage_end, witness,
              *, entry, entries, uncertainty=None, chainage=None, regime=None, horizontal=None,
              vertical=None, a_above_b=None) -> Hits:
    """Build a :class:`Hits` table, filling optional columns with their neutral values."""
    n = len(required)
    nan = np.full(n, np.nan)
    return Hits(rule=rule, object_a=np.asarray(object_a, dtype=np.int64), object_b=np.asarray(object_b, dtype=np.int64),
                required=np.asarray(required, dtype=np.float64), actual=np.asarray(actual, dtype=np.float64),
                excess=np.asarray(excess, dtype=np.float64),
                uncertainty=np.zeros(n) if uncertainty is None else np.asarray(uncertainty, dtype=np.float64),
                chainage_start=np.asarray(chainage_start, dtype=np.float64),
                chainage_end=np.asarray(chainage_end, dtype=np.float64),
                chainage=np.asarray(chainage_start if chainage is None else chainage, dtype=np.float64),
                witness=np.asarray(witness, dtype=np.float64).reshape(n, 3),
                regime=np.full(n, NOT_APPLICABLE, dtype=np.int8) if regime is None else np.asarray(regime, np.int8),
                horizontal=nan if horizontal is None else np.asarray(horizontal, dtype=np.float64),
                vertical=nan if vertical is None else np.asarray(vertical, dtype=np.float64),
                entry=np.asarray(entry, dtype=np.int64), entries=tuple(entries),
                a_above_b=np.zeros(n, dtype=np.int8) if a_above_b is None else np.asarray(a_above_b, np.int8))


class Rule(Protocol):
    """Interface of every rule module in :mod:`vkls.rules`."""

    id: str
    title: str
    supersedes: tuple[str, ...]

    def reach(self, norms) -> np.ndarray: ...

    def evaluate(self, scene, contacts, norms) -> Hits: ...

    def explain(self, conflict) -> str: ...


def no_reach() -> np.ndarray:
    """(K, K) all NaN: the reach of a rule that never judges a pair of objects."""
    from vkls.geometry.scene import KIND_NAMES

    return np.full((len(KIND_NAMES), len(KIND_NAMES)), np.nan)


def kind_pair_reach(rows, columns, distance: float) -> np.ndarray:
    """(K, K) ``distance`` between the kind codes ``rows`` and ``columns`` (both ways), NaN elsewhere."""
    reach = no_reach()
    rows, columns = np.atleast_1d(rows), np.atleast_1d(columns)
    reach[np.ix_(rows, columns)] = distance
    reach[np.ix_(columns, rows)] = distance
    return reach


def regime_reach(rule, norms) -> np.ndarray:
    """(3, K, K) the reach of ``rule`` for capsule pairs per regime (PARALLEL, CROSSING, STACKED): its
    ``reach_by_regime`` where it has one, else its ``reach`` for every regime."""
    by_regime = getattr(rule, "reach_by_regime", None)
    if by_regime is not None:
        return by_regime(norms)
    return np.repeat(rule.reach(norms)[None], 3, axis=0)


def judged_kinds(rule, norms) -> np.ndarray:
    """(K, K) bool: the pairs of kind codes ``rule`` judges (where its reach is not NaN)."""
    return ~np.isnan(rule.reach(norms))


def judged_contacts(rule, contacts, norms):
    """The contacts between two kinds that ``rule`` judges: a rule then works on its own few rows, not
    on every pair the engine found for all rules."""
    return contacts.of_kinds(judged_kinds(rule, norms))


def might_violate(excess: np.ndarray, uncertainty: np.ndarray) -> np.ndarray:
    """Rows whose limit is passed at the nominal position or somewhere within the uncertainty."""
    return excess + uncertainty > CONTACT_TOLERANCE


def pair_uncertainty(scene, contacts, mask=None) -> np.ndarray:
    """How much the distance of each contact can grow or shrink within the position accuracy.

    Each object may shift horizontally by up to ``accuracy_xy`` and vertically by up to
    ``accuracy_z``; the distance between two rigid objects then changes by at most
    ``(u_i + u_j) |n_xy| + (v_i + v_j) |n_z|`` with ``n`` the unit separation direction
    (``hypot(u_i + u_j, v_i + v_j)`` where the witnesses coincide).

    Returns
    -------
    (p,) float64, metres, >= 0
    """
    rows = slice(None) if mask is None else mask
    if scene.exact_positions:  # a design
        return np.zeros(len(contacts.distance[rows]))
    oi, oj = contacts.objects[rows, 0], contacts.objects[rows, 1]
    u = scene.object_accuracy_xy[oi] + scene.object_accuracy_xy[oj]
    v = scene.object_accuracy_z[oi] + scene.object_accuracy_z[oj]
    if not (u.any() or v.any()):
        return np.zeros(len(u))
    delta = contacts.witness_j[rows] - contacts.witness_i[rows]
    length = np.linalg.norm(delta, axis=1)
    safe = length > 0
    n_xy = np.where(safe, np.hypot(delta[:, 0], delta[:, 1]) / np.where(safe, length, 1.0), 1.0)
    n_z = np.where(safe, np.abs(delta[:, 2]) / np.where(safe, length, 1.0), 1.0)
    return np.where(safe, u * n_xy + v * n_z, np.hypot(u, v))


def pair_hits(rule, scene, contacts, mask, required, regime, entry, entries, uncertainty=None) -> Hits:
    """Collect the rows of ``contacts`` selected by ``mask`` ((p,) bool) into a :class:`Hits` table.

    ``required``, ``regime``, ``entry`` and ``uncertainty`` are given for all contact rows.
    Chainage: where two primitives run side by side or stacked (PARALLEL, STACKED) a hit
    covers the overlap of their chainage ranges; otherwise it sits at the witness on the
    capsule (for capsule-box and capsule-cylinder pairs) or on the capsule with the longer
    chainage range (the main, not the crossing connection).
    """
    from vkls.geometry.kernels import pair_hit_columns

    rows = np.flatnonzero(mask)
    source, at = contacts.source_rows(rows)  # the columns are read where they lie (a rule's rows are not copied)
    (a, b, kept_required, actual, excess, start, end, point, witness, kept_regime, horizontal, vertical,
     a_above_b) = pair_hit_columns(rows, at, source.pairs, source.objects, source.witness_i, source.witness_j,
                                   source.distance, source.radius_i, source.radius_j,
                                   source.lateral_horizontal, source.lateral_vertical,
                                   np.ascontiguousarray(required, dtype=np.float64),
                                   np.ascontiguousarray(regime, dtype=np.int8), scene.primitive_chainage,
                                   scene.cap_a, scene.cap_b, scene.box_c, scene.box_h, scene.box_axes,
                                   scene.chainage_along == "route", scene.chainage_along == "object",
                                   CONTACT_TOLERANCE)
    return make_hits(rule, a, b, kept_required, actual, excess, start, end, witness, chainage=point,
                     regime=kept_regime, entry=np.take(entry, rows), entries=entries,
                     uncertainty=np.zeros(len(rows)) if uncertainty is None else np.take(uncertainty, rows),
                     horizontal=horizontal, vertical=vertical, a_above_b=a_above_b)
