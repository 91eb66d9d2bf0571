"""Synthetic street network for the engine benchmark (issue 2).

A square grid of streets along x and y. Every street carries eight parallel
networks at NEN 7171-like lateral offsets and depths (0.5-1.2 m deep, radii
0.02-0.15 m) as chains of ~1 m segments; four networks have house connections
perpendicular to the street every ~6 m (alternating sides) running to the
facade line; a few stretches deviate sideways so that there are real
conflicts besides the crossings at junctions and under house connections.

Groups are network ids (a utility network is one group across the whole
city), so segments of the same network never form a pair.

Usage::

    from benchmarks.synthetic import street_network
    scene = street_network(1_000_000, seed=1)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# name, lateral offset from the street centre line (m), depth of the axis
# below ground (m), radius (m), has house connections
NETWORKS = (
    ("ls_power", -3.2, 0.60, 0.025, True),
    ("ms_power", -2.6, 0.80, 0.040, False),
    ("gas", -2.0, 0.70, 0.055, True),
    ("water", -1.3, 1.00, 0.075, True),
    ("sewer", 0.0, 1.20, 0.150, False),
    ("telecom", 1.2, 0.50, 0.020, True),
    ("fibre", 1.7, 0.55, 0.020, False),
    ("heat", 2.5, 0.90, 0.100, False),
)

FACADE_OFFSET = 4.5  # lateral offset of the building line (m)
HOUSE_SPACING = 6.0  # m between house connections along a street side
BLOCK = 80.0  # m between parallel streets


@dataclass(frozen=True)
class Scene:
    """Capsule arrays of a synthetic scene (all C-contiguous).

    Attributes
    ----------
    cap_a, cap_b : (n, 3) float64, metres
    cap_r : (n,) float64, metres
    group : (n,) int64
        Network id (index into ``NETWORKS``).
    margin : (n,) float64, metres
        Half the clearance: enlargement for the broad phase.
    clearance : float
        Required surface-to-surface distance between different networks (m).
    """

    cap_a: np.ndarray
    cap_b: np.ndarray
    cap_r: np.ndarray
    group: np.ndarray
    margin: np.ndarray
    clearance: float

    @property
    def n(self) -> int:
        return int(self.cap_r.shape[0])


def _segments_per_metre(segment_length: float) -> float:
    n_hc = sum(1 for *_, hc in NETWORKS if hc)
    mean_hc_len = np.mean([abs(FACADE_OFFSET - abs(off)) + 1.0 for _, off, _, _, hc in NETWORKS if hc])
    return len(NETWORKS) / segment_length + n_hc * 2 * (mean_hc_len / segment_length) / (2 * HOUSE_SPACING)


def _chain(points: np.ndarray):
    return points[:-1], points[1:]


def street_network(n_segments: int, seed: int = 0, segment_length: float = 1.0, clearance: float = 0.5) -> Scene:
    """Generate about ``n_segments`` segments (exactly ``n_segments`` returned).

    Parameters
    ----------
    n_segments : int
        Number of capsules to return (the grid is sized to produce at least
        that many; the surplus is cut off at the end of the last street).
    seed : int
        Seed of ``numpy.random.default_rng``.
    segment_length : float
        Nominal segment length (m).
    clearance : float
        Clearance between different networks (m); ``margin = clearance / 2``.

    Returns
    -------
    Scene
    """
    rng = np.random.default_rng(seed)
    per_street_m = _segments_per_metre(segment_length)
    # 2 * n streets of length n * BLOCK.
    n_streets = max(1, math.ceil(math.sqrt(n_segments / (2 * BLOCK * per_street_m))))
    length = n_streets * BLOCK
    parts_a, parts_b, parts_r, parts_g = [], [], [], []
    total = 0
    n_vertices = int(round(length / segment_length)) + 1
    along = np.linspace(0.0, length, n_vertices)
    for orientation in (0, 1):
        for s in range(n_streets):
            centre = (s + 0.5) * BLOCK
            for g, (_, offset, depth, radius, house) in enumerate(NETWORKS):
                lateral = np.full(n_vertices, centre + offset) + rng.normal(0, 0.01, n_vertices)
                z = np.full(n_vertices, -depth) + rng.normal(0, 0.01, n_vertices)
                # A few sideways deviations (about one per 150 m), 3-10 m long,
                # up to 0.6 m towards a neighbour: real conflicts.
                for _ in range(rng.poisson(length / 150.0)):
                    start = rng.integers(0, n_vertices - 12)
                    span = rng.integers(3, 11)
                    bump = np.sin(np.linspace(0, np.pi, span)) * rng.uniform(-0.6, 0.6)
                    lateral[start : start + span] += bump
                t = along + rng.normal(0, 0.02, n_vertices) * (segment_length / 1.0)
                t[0], t[-1] = along[0], along[-1]
                pts = np.empty((n_vertices, 3))
                pts[:, orientation] = t
                pts[:, 1 - orientation] = lateral
                pts[:, 2] = z
                a, b = _chain(pts)
                parts_a.append(a)
                parts_b.append(b)
                parts_r.append(np.full(len(a), radius))
                parts_g.append(np.full(len(a), g, dtype=np.int64))
                total += len(a)
                if not house:
                    continue
                # House connections, alternating sides, every ~HOUSE_SPACING m.
                pos = np.arange(HOUSE_SPACING / 2 + g * 0.7, length, HOUSE_SPACING)
                pos = pos + rng.uniform(-1.0, 1.0, len(pos))
                side = np.where(np.arange(len(pos)) % 2 == 0, 1.0, -1.0)
                for p, sd in zip(pos, side):
                    lat0 = centre + offset
                    lat1 = centre + sd * FACADE_OFFSET
                    k = max(1, int(math.ceil(abs(lat1 - lat0) / segment_length)))
                    u = np.linspace(0.0, 1.0, k + 1)
                    hp = np.empty((k + 1, 3))
                    hp[:, orientation] = p + rng.normal(0, 0.05, k + 1)
                    hp[:, 1 - orientation] = lat0 + u * (lat1 - lat0)
                    hp[:, 2] = -depth + u * (depth - 0.6) + rng.normal(0, 0.02, k + 1)
                    a, b = _chain(hp)
                    parts_a.append(a)
                    parts_b.append(b)
                    parts_r.append(np.full(k, min(radius, 0.04)))
                    parts_g.append(np.full(k, g, dtype=np.int64))
                    total += k
                if total >= n_segments and orientation == 1:
                    break
            if total >= n_segments and orientation == 1:
                break
    cap_a = np.ascontiguousarray(np.concatenate(parts_a)[:n_segments])
    cap_b = np.ascontiguousarray(np.concatenate(parts_b)[:n_segments])
    cap_r = np.ascontiguousarray(np.concatenate(parts_r)[:n_segments])
    group = np.ascontiguousarray(np.concatenate(parts_g)[:n_segments])
    if cap_r.shape[0] < n_segments:
        raise RuntimeError("generator produced too few segments")  # pragma: no cover
    margin = np.full(n_segments, clearance / 2.0)
    return Scene(cap_a, cap_b, cap_r, group, margin, clearance)
