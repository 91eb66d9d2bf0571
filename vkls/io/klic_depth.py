"""Depth of existing cables and pipes from KLIC: standard depth, ``Diepte`` annotations, chainage interpolation.

IMKL gives depth two ways: the network's ``standaardDieptelegging`` (a cover depth for all its
cables and pipes) and ``Diepte`` point annotations where the depth differs. An annotation
names its network but not its cable, so it is attached to the nearest cable or pipe of that
network within :data:`MAX_ANNOTATION_DISTANCE`. Along a cable the cover depth is linear in
chainage between its annotations and constant beyond the first and the last one; the
annotation points become vertices of the cable so that the profile is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

#: An annotation further than this from every cable or pipe of its network is not attached
#: (metres). KLIC draws annotations on the line; 2 m covers the placement of a depth label
#: beside a line and the coarsest position class (tot100cm) of the line itself.
MAX_ANNOTATION_DISTANCE = 2.0
#: A cover depth outside [0, this] metres is not a plausible depth of a street network.
MAX_PLAUSIBLE_COVER = 20.0
#: Annotation points closer than this to an existing vertex (metres, along the line) reuse it.
VERTEX_MERGE_DISTANCE = 1e-3


@dataclass(frozen=True)
class DepthPoint:
    """A cover depth (ground to top, metres) at a point of a line, with its accuracy (metres)."""

    annotation: str
    xy: np.ndarray
    cover: float
    accuracy: float | None


def cover_of_annotation(record, diameter: float) -> tuple[float | None, str]:
    """The cover depth (ground to the top, metres) an annotation states, or None and the reason.

    ``DiepteTovMaaiveld``: ``dieptePeil`` below the ground; ``DiepteNAP``: ``maaiveldPeil -
    dieptePeil`` (needs the ground level). ``diepteAangrijpingspunt = binnenonderkantBuis``
    (sewers) gives the invert: the top is one diameter higher (wall thickness not modelled).
    """
    if record.value is None:
        return None, "no dieptePeil"
    if record.type == "DiepteNAP":
        if record.ground_level is None:
            return None, "DiepteNAP without maaiveldPeil (no ground level to measure from)"
        cover = record.ground_level - record.value
    else:
        cover = record.value
    if record.reference == "binnenonderkantBuis":
        cover -= diameter
    if not (0.0 <= cover <= MAX_PLAUSIBLE_COVER):
        return None, f"implausible cover depth ({cover:.2f} m)"
    return cover, ""


def nearest_line(xy: np.ndarray, candidates: list[int], lines: list) -> tuple[int | None, float]:
    """Index (into ``lines``, shapely LineStrings) of the line nearest ``xy`` among ``candidates``, and its distance."""
    if not candidates:
        return None, np.inf
    point = shapely.Point(xy)
    distances = shapely.distance(point, [lines[i] for i in candidates])
    best = int(np.argmin(distances))
    return candidates[best], float(distances[best])


def depth_profile(xy: np.ndarray, base_cover: float, radius: float, points: list[DepthPoint]) -> np.ndarray:
    """(m, 3) RD x, y and axis depth of a line: annotation points inserted, cover interpolated by chainage.

    Parameters
    ----------
    xy : (n, 2) float64, metres
        The line's vertices.
    base_cover : float, metres
        Cover depth where the line has no annotations (standard or default).
    radius : float, metres
        Added to the cover: the axis lies one radius below the top.
    points : list of DepthPoint
        Annotations attached to this line.

    Returns
    -------
    (m, 3) float64: x, y, axis depth below the ground (positive down), m >= n.
    """
    if not points:
        return np.column_stack([xy, np.full(len(xy), base_cover + radius)])
    line = shapely.LineString(xy)
    along = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(xy, axis=0).T))])
    at = np.array([line.project(shapely.Point(p.xy)) for p in points])
    covers = np.array([p.cover for p in points])
    order = np.argsort(at, kind="stable")
    at, covers = at[order], covers[order]
    new = at[np.min(np.abs(at[:, None] - along[None, :]), axis=1) > VERTEX_MERGE_DISTANCE]
    if len(new):
        inserted = np.array([line.interpolate(s).coords[0] for s in new])
        merged_along = np.concatenate([along, new])
        merged_xy = np.vstack([xy, inserted])
        keep = np.argsort(merged_along, kind="stable")
        along, xy = merged_along[keep], merged_xy[keep]
    cover = np.interp(along, at, covers)
    return np.column_stack([xy, cover + radius])
