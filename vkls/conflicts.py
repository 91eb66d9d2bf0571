"""From rule hits to conflicts: consecutive hits of one pair under one rule become one run.

A run has a chainage range, a length and its worst value (the smallest actual - required).
Its id is stable between runs of vkls on the same design: a hash of the rule, the two
object ids, the regime and the run's place among that pair's runs (ordered by chainage).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

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
        r = lambda v: None if v is None or not np.isfinite(v) else round(float(v), REPORT_DECIMALS)  # noqa: E731
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
    """
    if len(hits) == 0:
        return []
    order = np.lexsort((hits.chainage_start, hits.object_b, hits.object_a))
    key = np.column_stack([hits.object_a, hits.object_b])[order]
    start, end = hits.chainage_start[order], hits.chainage_end[order]
    new_pair = np.ones(len(order), dtype=bool)
    new_pair[1:] = (key[1:] != key[:-1]).any(axis=1)
    boundaries = _run_boundaries(new_pair, start, end, join_gap + RUN_JOIN_SLACK)
    conflicts = []
    occurrence: dict[tuple, int] = {}
    for first, last in zip(boundaries[:-1], boundaries[1:]):
        rows = order[first:last]
        worst = rows[int(np.argmax(hits.excess[rows]))]
        certain = bool(np.any(hits.excess[rows] - hits.uncertainty[rows] > CONTACT_TOLERANCE))
        a, b = int(hits.object_a[worst]), int(hits.object_b[worst])
        obj_a = scene.objects[a]
        obj_b = scene.objects[b] if b >= 0 else None
        regime = REGIME_NAMES[int(hits.regime[worst])]
        pair_key = (hits.rule, obj_a.id, obj_b.id if obj_b else "")
        index = occurrence.get(pair_key, 0)
        occurrence[pair_key] = index + 1
        entry = hits.entries[int(hits.entry[worst])]
        x, y, z = scene.to_world(hits.witness[worst])
        conflict = Conflict(
            id=_stable_id(*pair_key, index), rule=hits.rule,
            objects=(obj_a.id, obj_b.id if obj_b else None), kinds=(obj_a.kind, obj_b.kind if obj_b else None),
            labels=(obj_a.label, obj_b.label if obj_b else None),
            required=float(hits.required[worst]), actual=float(hits.actual[worst]),
            chainage_start=float(start[first:last].min()), chainage_end=float(end[first:last].max()),
            chainage=float(hits.chainage[worst]),
            x=float(x), y=float(y), z=float(z), regime=regime,
            horizontal=_finite(hits.horizontal[worst]), vertical=_finite(hits.vertical[worst]),
            status=entry.status, source=entry.source,
            severity=entry.status if certain else "possible", certainty="certain" if certain else "possible",
            a_above_b=int(hits.a_above_b[worst]), norm=entry,
        )
        conflicts.append(_with_explanation(conflict, rule))
    return conflicts


def _run_boundaries(new_pair: np.ndarray, start: np.ndarray, end: np.ndarray, gap: float) -> np.ndarray:
    """Indices where a run begins (plus the end), for hits sorted by pair then start."""
    starts = [0]
    reach = end[0]
    for k in range(1, len(start)):
        if new_pair[k] or start[k] > reach + gap:
            starts.append(k)
            reach = end[k]
        else:
            reach = max(reach, end[k])
    starts.append(len(start))
    return np.asarray(starts)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _stable_id(rule: str, a: str, b: str, index: int) -> str:
    digest = hashlib.sha1(f"{rule}|{a}|{b}|{index}".encode()).hexdigest()
    return f"C-{digest[:8]}"


def _with_explanation(conflict: Conflict, rule) -> Conflict:
    return replace(conflict, explanation=rule.explain(conflict))
