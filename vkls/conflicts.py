"""From rule hits to conflicts: consecutive hits of one pair under one rule become one run.

A run has a chainage range, a length and its worst value (the smallest actual - required).
Its id is stable between runs of vkls on the same design: a hash of the rule, the two
object ids, the regime and the run's place among that pair's runs (ordered by chainage).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, fields

import numpy as np

from vkls.geometry.tolerances import CONTACT_TOLERANCE

from vkls.geometry.tolerances import REPORT_DECIMALS
from vkls.rules.base import REGIME_NAMES, Hits

#: Hits of one pair at most one segment length plus this apart (metres) belong to one run:
#: the hits of adjacent segments of a chain are never further apart than one segment.
RUN_JOIN_SLACK = 1e-6

#: Hits of one pair join into one run across up to this many segment lengths (or rack
#: upright spacings): hits on adjacent segments are at most one apart, and an offset curve
#: around a bend stretches chainage measured along the facade line by a few per cent.
RUN_JOIN_FACTOR = 1.5


@dataclass(frozen=True)
class Conflict:
    """One conflict as users see it.

    Distances are metres, surface to surface; ``x, y`` RD New metres, ``z`` metres NAP:
    the witness point of the worst spot, which lies at ``chainage``.
    """

    id: str
    rule: str
    objects: tuple[str, str | None]
    kinds: tuple[str, str | None]
    labels: tuple[str, str | None]
    required: float
    actual: float
    chainage_start: float
    chainage_end: float
    chainage: float
    x: float
    y: float
    z: float
    regime: str
    horizontal: float | None
    vertical: float | None
    status: str
    source: str
    severity: str
    certainty: str = "certain"
    a_above_b: int = 0
    explanation: str = ""
    baseline: str | None = None
    norm: object = field(default=None, repr=False, compare=False)

    @property
    def reason(self) -> str:
        """Why the applied value exists, where the norm entry says so (thermal pairs)."""
        return getattr(self.norm, "reason", "")

    @property
    def length(self) -> float:
        """Length of the run along the route, metres."""
        return self.chainage_end - self.chainage_start

    def as_dict(self) -> dict:
        """JSON-ready record (rounded to millimetres)."""
        r = lambda v: None if v is None or not math.isfinite(v) else round(float(v), REPORT_DECIMALS)  # noqa: E731
        return {
            "id": self.id, "rule": self.rule, "objects": list(self.objects), "kinds": list(self.kinds),
            "required": r(self.required), "actual": r(self.actual),
            "chainage_start": r(self.chainage_start), "chainage_end": r(self.chainage_end),
            "length": r(self.length), "chainage": r(self.chainage), "x": r(self.x), "y": r(self.y), "z": r(self.z),
            "regime": self.regime, "horizontal_gap": r(self.horizontal), "vertical_gap": r(self.vertical),
            "severity": self.severity, "certainty": self.certainty, "status": self.status, "source": self.source,
            "explanation": self.explanation,
        } | ({"baseline": self.baseline} if self.baseline else {})


def group_hits(hits: Hits, scene, rule, join_gap: float = 0.0) -> list[Conflict]:
    """Merge one rule's hits into runs and explain each.

    Parameters
    ----------
    hits : Hits
    scene : Scene
        For object ids, labels and the local origin.
    rule : Rule
        Supplies ``explain``.
    join_gap : float, metres
        Hits of one pair this close along the route are one run (the segment length).

    Notes
    -----
    Per-run figures (worst row, extent, certainty, place among the pair's runs) are computed
    on whole arrays; only the making of each :class:`Conflict` is a Python loop.
    """
    from vkls.geometry import kernels

    if len(hits) == 0:
        return []
    order = np.lexsort((hits.chainage_start, hits.object_b, hits.object_a))
    obj_a, obj_b = hits.object_a[order], hits.object_b[order]
    start, end = hits.chainage_start[order], hits.chainage_end[order]
    new_pair = np.ones(len(order), dtype=bool)
    new_pair[1:] = (obj_a[1:] != obj_a[:-1]) | (obj_b[1:] != obj_b[:-1])
    firsts = kernels.run_starts(new_pair, start, end, join_gap + RUN_JOIN_SLACK)
    run_of_row = np.repeat(np.arange(len(firsts)), np.diff(np.append(firsts, len(order))))
    excess = hits.excess[order]
    largest = np.maximum.reduceat(excess, firsts)
    positions = np.arange(len(order))
    worst = order[np.minimum.reduceat(np.where(excess == largest[run_of_row], positions, len(order)), firsts)]
    certain = np.logical_or.reduceat(excess - hits.uncertainty[order] > CONTACT_TOLERANCE, firsts)
    run_start, run_end = np.minimum.reduceat(start, firsts), np.maximum.reduceat(end, firsts)
    pair_of_run = np.cumsum(new_pair[firsts]) - 1
    first_run_of_pair = np.flatnonzero(new_pair[firsts])
    index_in_pair = np.arange(len(firsts)) - first_run_of_pair[pair_of_run]
    world = scene.to_world(hits.witness[worst])
    columns = zip(hits.object_a[worst].tolist(), hits.object_b[worst].tolist(), hits.regime[worst].tolist(),
                  hits.entry[worst].tolist(), hits.required[worst].tolist(), hits.actual[worst].tolist(),
                  run_start.tolist(), run_end.tolist(), hits.chainage[worst].tolist(), world.tolist(),
                  _finite_list(hits.horizontal[worst]), _finite_list(hits.vertical[worst]), certain.tolist(),
                  hits.a_above_b[worst].tolist(), index_in_pair.tolist())
    described = _describe(scene, np.unique(np.concatenate([hits.object_a[worst], hits.object_b[worst]])))
    nothing = (None, None, None)
    rule_id = hits.rule
    conflicts = []
    for a, b, regime, entry, required, actual, c0, c1, chainage, (x, y, z), horizontal, vertical, sure, above, \
            index in columns:
        id_a, kind_a, label_a = described[a]
        id_b, kind_b, label_b = described[b] if b >= 0 else nothing
        norm = hits.entries[entry]
        conflict = _conflict({
            "id": _stable_id(rule_id, id_a, id_b or "", index), "rule": rule_id, "objects": (id_a, id_b),
            "kinds": (kind_a, kind_b), "labels": (label_a, label_b), "required": required, "actual": actual,
            "chainage_start": c0, "chainage_end": c1, "chainage": chainage, "x": x, "y": y, "z": z,
            "regime": REGIME_NAMES[regime], "horizontal": horizontal, "vertical": vertical, "status": norm.status,
            "source": norm.source, "severity": norm.status if sure else "possible",
            "certainty": "certain" if sure else "possible", "a_above_b": above, "explanation": "", "baseline": None,
            "norm": norm,
        })
        conflict.__dict__["explanation"] = rule.explain(conflict)  # made here, frozen from now on
        conflicts.append(conflict)
    return conflicts


def _conflict(values: dict) -> Conflict:
    """A :class:`Conflict` holding ``values`` (every one of its fields), without the frozen dataclass's
    checked ``__init__`` (a city check makes millions)."""
    if values.keys() != _CONFLICT_FIELDS:
        raise TypeError(f"a conflict needs every field and no other: {sorted(_CONFLICT_FIELDS ^ set(values))}")
    conflict = object.__new__(Conflict)
    object.__setattr__(conflict, "__dict__", values)
    return conflict


_CONFLICT_FIELDS = frozenset(f.name for f in fields(Conflict))


def _describe(scene, indices: np.ndarray) -> dict:
    """object index -> (id, kind, label) for ``indices`` (-1 left out), from the scene's columns where it
    keeps them."""
    indices = indices[indices >= 0]
    objects = scene.objects
    columns = getattr(objects, "columns", None)
    if columns is None:
        return {k: (objects[k].id, objects[k].kind, objects[k].label) for k in indices.tolist()}
    return dict(zip(indices.tolist(), zip(columns["id"][indices].tolist(), columns["kind"][indices].tolist(),
                                          objects.labels(indices))))


def _finite_list(values: np.ndarray) -> list:
    return [v if math.isfinite(v) else None for v in values.tolist()]


def _stable_id(rule: str, a: str, b: str, index: int) -> str:
    digest = hashlib.sha1(f"{rule}|{a}|{b}|{index}".encode()).hexdigest()
    return f"C-{digest[:8]}"
