"""Helpers for rules that reason in the cross-section (offset from the facade, depth below ground)."""

from __future__ import annotations

import numpy as np


def circle_rect_distance(offset: float, depth: float, radius: float, rect: tuple[float, float, float, float]) -> float:
    """Signed distance from a circle to a rectangle in the section, metres (negative: they overlap).

    Parameters
    ----------
    offset, depth, radius : float, metres
        Circle centre (offset from the facade, depth below ground) and radius.
    rect : (offset_min, offset_max, depth_min, depth_max), metres
    """
    lo_x, hi_x, lo_z, hi_z = rect
    dx = max(lo_x - offset, 0.0, offset - hi_x)
    dz = max(lo_z - depth, 0.0, depth - hi_z)
    outside = float(np.hypot(dx, dz))
    if outside > 0:
        return outside - radius
    return -min(offset - lo_x, hi_x - offset, depth - lo_z, hi_z - depth) - radius


def rect_overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Signed separation of two section rectangles, metres (negative: overlap depth)."""
    dx = max(a[0] - b[1], b[0] - a[1])
    dz = max(a[2] - b[3], b[2] - a[3])
    if dx > 0 or dz > 0:
        return float(np.hypot(max(dx, 0.0), max(dz, 0.0)))
    return float(max(dx, dz))


def section_point(scene, chainage: float, offset: float, depth: float) -> np.ndarray:
    """Local 3D point at (chainage, offset, depth)."""
    xy = scene.alignment.place(np.array([chainage]), np.array([offset]))[0]
    return np.array([xy[0], xy[1], scene.ground_level - depth])


def main_object_index(scene) -> dict[str, int]:
    """Network id -> index of its main in ``scene.objects``."""
    return {o.network: k for k, o in enumerate(scene.objects) if o.role == "main"}
