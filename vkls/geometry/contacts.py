"""Broad and narrow phase over a scene: every primitive pair close enough for a rule to flag.

Each primitive's bounding box is enlarged by its margin (its share of the largest distance
any rule could require for it, plus its position uncertainty), so that two boxes overlap
for every pair a rule could flag. The pairs kept are those whose exact surface distance is
within the reach of some rule for their two kinds plus both position uncertainties; for two
capsules, within the reach for the regime they lie in (side by side, crossing, stacked; see
:mod:`vkls.geometry.regimes`); and only between objects that some rule judges (``paired``).

Two ways to find them, the same rows bit for bit:

- scenes spread over a plane (streets, cities, KLIC deliveries): one pass over the cells of
  a grid (:func:`vkls.geometry.plane_grid.plane_contacts`) that compares the runs of
  consecutive segments of two lines, measures only the pairs whose boxes overlap within
  their own limit, and writes only the pairs within reach;
- otherwise the overlapping box pairs first (:func:`vkls.geometry.kernels.candidate_pairs`),
  then the exact geometry of each (:func:`~vkls.geometry.kernels.pair_geometry`) and the
  reach filter (:func:`~vkls.geometry.kernels.near_contacts`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

#: Pairs farther apart than their limit (the rules' reach for their two kinds plus both position
#: uncertainties, surface to surface, metres) cannot be flagged by any rule and are dropped; this
#: slack keeps pairs at exactly that distance.
NEAR_SLACK = 1e-9


@dataclass(frozen=True)
class Contacts:
    """Exact geometry of every pair some rule could flag: within its reach (for two capsules, its
    reach for the regime they lie in), between objects it judges.

    Attributes
    ----------
    pairs : (p, 2) int64
        Primitive indices ``i < j`` in the numbering [capsules | boxes | cylinders].
    distance : (p,) float64, metres
        Surface-to-surface distance (negative: overlap).
    witness_i, witness_j : (p, 3) float64, metres (local)
        Closest points: on the axis of a capsule, on the surface of a box or cylinder.
    abs_cos : (p,) float64
        |cos| of the angle between the two directions (1: parallel).
    radius_i, radius_j : (p,) float64, metres
        Radii belonging to the witnesses (capsule radius; 0 for boxes and cylinders).
    lateral_horizontal, lateral_vertical : (p,) float64, metres
        Horizontal and vertical length of the witness-to-witness vector without its part
        along the first capsule: two parallel chains offset along the route (segment k against
        segment k + 2) are thus still seen side by side or stacked (see
        :func:`vkls.geometry.kernels.near_contacts`).
    objects : (p, 2) int64
        Scene objects of the two primitives.
    kinds : (p, 2) int64
        Kind codes of those objects.
    """

    pairs: np.ndarray
    distance: np.ndarray
    witness_i: np.ndarray
    witness_j: np.ndarray
    abs_cos: np.ndarray
    radius_i: np.ndarray
    radius_j: np.ndarray
    lateral_horizontal: np.ndarray
    lateral_vertical: np.ndarray
    objects: np.ndarray
    kinds: np.ndarray

    def __len__(self) -> int:
        return len(self.distance)

    def take(self, rows: np.ndarray) -> Contacts:
        """The contacts at ``rows`` ((r,) int64 index array): a :class:`ContactRows` that takes each column
        when it is first read (a rule reads 4-8 of the 11 columns of its rows)."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if isinstance(self, ContactRows):
            return ContactRows(self.source, np.take(self.rows, rows))
        return ContactRows(self, rows)

    def of_kinds(self, judged: np.ndarray) -> Contacts:
        """The contacts whose two kinds ``judged`` (K, K) bool marks; ``self`` when that is more than half
        of them (taking most rows costs more than working on a few rows too many, which the rules
        rule out by kind again)."""
        from vkls.geometry.kernels import rows_of_kinds

        rows = rows_of_kinds(np.ascontiguousarray(self.kinds), np.ascontiguousarray(judged, dtype=np.bool_))
        if rows is None:
            raise IndexError(f"contacts: kind codes outside the judged table of shape {judged.shape}")
        return self if 2 * len(rows) > len(self) else self.take(rows)

    def source_rows(self, rows: np.ndarray) -> tuple[Contacts, np.ndarray]:
        """``(contacts, rows)`` that hold the rows ``rows`` of ``self`` as plain arrays: ``self`` itself, or
        for :class:`ContactRows` its source and the rows there (nothing taken)."""
        return self, np.ascontiguousarray(rows, dtype=np.int64)


class ContactRows(Contacts):
    """Some rows of a :class:`Contacts` (``source`` at ``rows``), each column taken on first reading."""

    def __init__(self, source: Contacts, rows: np.ndarray):  # not the dataclass init: nothing is taken yet
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "rows", rows)

    def __getattr__(self, name: str):
        if name not in _COLUMNS:
            raise AttributeError(name)
        column = np.take(getattr(self.source, name), self.rows, axis=0)
        object.__setattr__(self, name, column)
        return column

    def __len__(self) -> int:
        return len(self.rows)

    def source_rows(self, rows: np.ndarray) -> tuple[Contacts, np.ndarray]:
        return self.source, np.take(self.rows, np.ascontiguousarray(rows, dtype=np.int64))


_COLUMNS = frozenset(f.name for f in fields(Contacts))  # what a ContactRows takes on first reading


def find_contacts(scene, margin: np.ndarray, reach: np.ndarray, spread: np.ndarray,
                  seconds: dict | None = None, regime_reach: np.ndarray | None = None,
                  side_by_side_cos: float | None = None, paired: np.ndarray | None = None) -> Contacts:
    """Broad phase + narrow phase over a scene.

    Parameters
    ----------
    scene : vkls.geometry.scene.Scene
    margin : (objects,) float64, metres
        Per object: how far the boxes of its primitives are enlarged.
    reach : (K, K) float64, metres
        Keep only the pairs within ``reach[kind_i, kind_j] + spread_i + spread_j`` (NaN: drop the pair).
    spread : (objects,) float64, metres
        Per object: its position uncertainty.
    seconds : dict, optional
        Receives the time of the ``broad`` and ``narrow`` phases (seconds, added to what is there).
        With the plane grid, the box tests run in the narrow pass, cell by cell.
    regime_reach : (3, K, K) float64, metres, optional
        Per regime of two capsules (PARALLEL, CROSSING, STACKED; see :mod:`vkls.geometry.regimes`),
        the reach for them; a pair of capsules is kept only within the reach of its regime too.
        Default: ``reach`` in every regime.
    side_by_side_cos : float, 0..1
        |cos| at and above which two capsules run side by side (required with ``regime_reach``; the
        rules' own, :func:`vkls.rules.clearance.side_by_side_cos`).
    paired : (objects,) bool, optional
        The objects to pair at all (default: every object); a pair with any other object is skipped.
    """
    import time

    import numba

    from vkls.geometry import kernels

    clock = time.perf_counter()
    arrays = (scene.cap_a, scene.cap_b, scene.cap_r, scene.box_c, scene.box_h, scene.box_axes,
              scene.cyl_xy, scene.cyl_z, scene.cyl_r)
    margin, spread, reach = _checked(scene, margin, spread, reach)
    if regime_reach is not None:  # checked before the work
        regime_reach, side_by_side_cos = kernels.regime_limits(regime_reach, len(reach), side_by_side_cos)
    paired = np.ones(len(margin), dtype=bool) if paired is None else np.asarray(paired, dtype=bool)
    if paired.shape != margin.shape:
        raise ValueError(f"paired: expected one flag per object ({len(margin)}), got shape {paired.shape}")
    owner = scene.primitive_object
    cells = None
    if len(owner) >= 2:
        from vkls.geometry.plane_grid import plane_contacts, primitive_cells

        cells = primitive_cells(arrays, owner, margin)
    broad = time.perf_counter()
    if cells is not None:
        found = plane_contacts(cells, owner, scene.object_group, scene.object_kind, margin, spread, reach, NEAR_SLACK,
                               arrays, numba.get_num_threads(), regime_reach, side_by_side_cos, paired)
    else:  # the plane grid does not suit: candidate pairs, then their geometry
        lo, hi = kernels.primitive_aabbs(*arrays, np.take(margin, owner))
        pairs = kernels.candidate_pairs(lo, hi, scene.object_group[owner])
        if not paired.all():
            pairs = np.take(pairs, np.flatnonzero(paired[owner[pairs[:, 0]]] & paired[owner[pairs[:, 1]]]), axis=0)
        broad = time.perf_counter()
        distance, witness_i, witness_j, abs_cos = kernels.pair_geometry(pairs, *arrays)
        found = kernels.near_contacts(pairs, distance, witness_i, witness_j, abs_cos, scene.object_kind[owner], reach,
                                      spread[owner], scene.cap_a, scene.cap_b, NEAR_SLACK, regime_reach,
                                      side_by_side_cos)
    pairs, distance, witness_i, witness_j, abs_cos, horizontal, vertical = found
    objects, kinds, radius = kernels.pair_columns(pairs, owner, scene.object_kind, scene.cap_r, checked=False)
    if seconds is not None:
        seconds["broad"] = seconds.get("broad", 0.0) + broad - clock
        seconds["narrow"] = seconds.get("narrow", 0.0) + time.perf_counter() - broad
    return Contacts(pairs=pairs, distance=distance, witness_i=witness_i, witness_j=witness_j, abs_cos=abs_cos,
                    radius_i=np.ascontiguousarray(radius[:, 0]),
                    radius_j=np.ascontiguousarray(radius[:, 1]), lateral_horizontal=horizontal,
                    lateral_vertical=vertical, objects=objects, kinds=kinds)


def _checked(scene, margin, spread, reach):
    """``margin``, ``spread`` (objects,) finite and ``reach`` (K, K) covering every kind code, as C arrays."""
    objects = len(scene.object_kind)
    margin = np.ascontiguousarray(margin, dtype=np.float64)
    spread = np.ascontiguousarray(spread, dtype=np.float64)
    reach = np.ascontiguousarray(reach, dtype=np.float64)
    for name, values in (("margin", margin), ("spread", spread)):
        if values.shape != (objects,):
            raise ValueError(f"{name}: expected one value per object ({objects}), got shape {values.shape}")
        if not np.isfinite(values).all():
            raise ValueError(f"{name}: contains NaN or infinite values")
    if (margin < 0).any():
        raise ValueError("margin: must be >= 0")
    if reach.ndim != 2 or reach.shape[0] != reach.shape[1]:
        raise ValueError(f"reach: expected a square (K, K) array, got shape {reach.shape}")
    if objects and (scene.object_kind.min() < 0 or scene.object_kind.max() >= len(reach)):
        raise ValueError(f"reach: the scene's kind codes must lie in 0..{len(reach) - 1}")
    return margin, spread, reach
