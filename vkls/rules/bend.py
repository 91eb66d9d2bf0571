"""Bend radius: the radius each vertex of a cable or pipe allows, against its minimum.

At a vertex where a polyline turns by angle theta, the largest circular bend that fits
between the neighbouring vertices has radius ``R = available / tan(theta / 2)``, where
``available`` is the room on the tighter side: up to half way to the next vertex that
bends too, or all the way to the end of the chain. Maps of existing networks (KLIC) are not
checked: the corners of their 2D drawings are not the cables' real bends. On a finely sampled curve this equals the curve's
radius; at a sharp corner it is what a bend there could have at most. The minimum is
``networks.<kind>.bend_factor`` x outer diameter (0: not checked).
"""

from __future__ import annotations

import numpy as np

from vkls.geometry.scene import KIND_CODE, KIND_NAMES
from vkls.model import NetworkKind
from vkls.rules.base import Hits, make_hits, might_violate, no_reach
from vkls.rules.text import at_chainage, metres, provenance

#: Turns smaller than this (radians) are straight: the allowed radius is then beyond any
#: cable's minimum (1e-7 rad over a 1 m leg is a radius of 1e7 m), and well above the
#: round-off of a turn computed from float64 coordinates of a few km (~1e-12 rad).
STRAIGHT_TURN = 1e-7

NETWORK_CODES = frozenset(KIND_CODE[k.value] for k in NetworkKind)


def chain_vertices(scene):
    """Interior vertices of every capsule chain: consecutive capsules of one object that join.

    Returns
    -------
    before, after : (v,) int64
        The capsules meeting at each vertex (``cap_b[before] == cap_a[after]``).
    chain_start, chain_end : (v,) int64
        First and last capsule of the chain each vertex belongs to.
    """
    n = scene.n_capsules
    if n < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty
    joins = (scene.cap_object[:-1] == scene.cap_object[1:]) & np.all(scene.cap_b[:-1] == scene.cap_a[1:], axis=1)
    starts = np.flatnonzero(np.concatenate([[True], ~joins]))
    ends = np.concatenate([starts[1:] - 1, [n - 1]])
    chain_of = np.repeat(np.arange(len(starts)), ends - starts + 1)
    before = np.flatnonzero(joins)
    return before, before + 1, starts[chain_of[before]], ends[chain_of[before]]


def allowed_radius(scene, before, after, chain_start, chain_end):
    """(v,) largest bend radius that fits at each vertex, metres (inf where straight).

    The room on each side of a vertex reaches to the next vertex that bends too (half way,
    since that bend needs room as well) or to the end of the chain (all the way).
    """
    u = scene.cap_b[before] - scene.cap_a[before]
    w = scene.cap_b[after] - scene.cap_a[after]
    length_u, length_w = np.linalg.norm(u, axis=1), np.linalg.norm(w, axis=1)
    valid = (length_u > 0) & (length_w > 0)
    # atan2(|u x w|, u . w) is accurate for tiny turns, where arccos of the cosine is not
    theta = np.arctan2(np.linalg.norm(np.cross(u, w), axis=1), np.einsum("ij,ij->i", u, w))
    bent = valid & (theta > STRAIGHT_TURN)
    # arc length along all capsules: position of each vertex, of chain starts and ends
    lengths = np.linalg.norm(scene.cap_b - scene.cap_a, axis=1)
    cumulative = np.concatenate([[0.0], np.cumsum(lengths)])
    position = cumulative[after]
    start_position, end_position = cumulative[chain_start], cumulative[chain_end + 1]
    index = np.arange(len(before))
    previous = np.maximum.accumulate(np.where(bent, index, -1))
    previous = np.concatenate([[-1], previous[:-1]])  # the last bending vertex strictly before
    following = np.minimum.accumulate(np.where(bent, index, len(index))[::-1])[::-1]
    following = np.concatenate([following[1:], [len(index)]])
    same_chain_prev = (previous >= 0) & (chain_start[np.maximum(previous, 0)] == chain_start)
    same_chain_next = (following < len(index)) & (chain_start[np.minimum(following, len(index) - 1)] == chain_start)
    room_before = np.where(same_chain_prev, (position - position[np.maximum(previous, 0)]) / 2,
                           position - start_position)
    room_after = np.where(same_chain_next, (position[np.minimum(following, len(index) - 1)] - position) / 2,
                          end_position - position)
    available = np.minimum(room_before, room_after)
    return np.where(bent, available / np.tan(np.where(bent, theta, 1.0) / 2), np.inf)


class BendRadiusRule:
    """Every vertex of every cable and pipe (mains and house connections)."""

    id = "bend-radius"
    title = "Bend radius at every vertex against the minimum (multiple of the outer diameter)"
    supersedes: tuple[str, ...] = ()

    def reach(self, norms) -> np.ndarray:
        return no_reach()

    def evaluate(self, scene, contacts, norms) -> Hits:
        if not scene.has_section:  # a map's lines are 2D drawings: their corners are not bends in the ground
            return Hits.empty(self.id)
        before, after, chain_start, chain_end = chain_vertices(scene)
        if len(before) == 0:
            return Hits.empty(self.id)
        radius = allowed_radius(scene, before, after, chain_start, chain_end)
        objects = scene.cap_object[before]
        is_network = np.array([code in NETWORK_CODES for code in scene.object_kind[objects]], dtype=bool)
        before, objects, radius = before[is_network], objects[is_network], radius[is_network]
        entries: list = []
        factor_by_code = np.zeros(len(KIND_NAMES))
        entry_by_code = np.zeros(len(KIND_NAMES), dtype=np.int64)
        for code, kind in enumerate(KIND_NAMES):
            entry = norms.optional(f"networks.{kind}.bend_factor")
            if entry is not None and entry.value > 0:
                entries.append(entry)
                factor_by_code[code], entry_by_code[code] = entry.value, len(entries) - 1
        codes = scene.object_kind[objects]
        required = np.where(factor_by_code[codes] > 0, factor_by_code[codes] * 2 * scene.cap_r[before], np.nan)
        index = entry_by_code[codes]
        excess = np.nan_to_num(required, nan=-np.inf) - radius
        keep = might_violate(np.where(np.isfinite(excess), excess, -np.inf), np.zeros(len(excess)))
        chainage = scene.cap_chainage[before[keep], 1]
        return make_hits(self.id, objects[keep], np.full(keep.sum(), -1), required[keep], radius[keep], excess[keep],
                         chainage, chainage, scene.cap_b[before[keep]], entry=index[keep], entries=entries)

    def explain(self, conflict) -> str:
        (network, _) = conflict.labels
        return (f"{network} bends {at_chainage(conflict)} where a bend radius of at most "
                f"{metres(conflict.actual)} fits; it needs at least {metres(conflict.required)} "
                f"(bend factor x outer diameter; {provenance(conflict)}).")
