"""Which cables and pipes lie in which container (Mantelbuis, Kabelbed, Duct) of a KLIC delivery.

IMKL 2.0 can relate a container to its contents, but the deliveries KLIC hands out draw the
container and the cables as separate lines (each with its own ``UtilityLink``) and relate
them by geometry only: the cable runs along the container's centre line. So containment is
found geometrically: a line lies in a container where, over most of the shorter of the two,
it runs within the container's radius plus a snap distance of the container's centre line.
A line of the container's own network gets a larger snap distance (operators draw a sleeve
and the cable in it a few decimetres apart); a line of another network must be drawn through
the container.

Contained lines and their containers form groups (union-find: a cable through two sleeves
joins both); :func:`merge_labels` joins these with the networks (all lines of one
``Utiliteitsnet`` are one group, as the parts of one network of a street are). Utilities of one
group are never paired by the check.
"""

from __future__ import annotations

import numpy as np
import shapely

#: Snap distance for a line of the container's own network, metres: in the four example
#: deliveries sleeves and the cables in them are drawn up to ~0.3 m apart.
SAME_NETWORK_SNAP = 0.3
#: Snap distance for a line of another network, metres: it must be drawn through the container.
OTHER_NETWORK_SNAP = 0.02
#: Part of the shorter of container and line that must run within the snap distance.
CONTAINED_FRACTION = 0.6
#: The shared stretch must also be this many times the snap radius long, so that a line
#: crossing a short sleeve at an angle is not taken for its content.
MIN_SHARED_RADII = 3.0


def containment_groups(lines: list, radii: np.ndarray, networks: list[str], is_container: np.ndarray
                       ) -> tuple[np.ndarray, int]:
    """Group lines with the containers they lie in.

    Parameters
    ----------
    lines : list of shapely.LineString, length k
        RD New centre lines.
    radii : (k,) float64, metres
    networks : list of str, length k
        Network id of each line.
    is_container : (k,) bool

    Returns
    -------
    group : (k,) int64
        A group number per line (lines in no container: their own group).
    holding : int
        Containers that hold at least one other line.
    """
    k = len(lines)
    parent = np.arange(k)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    if k == 0:
        return parent, 0
    tree = shapely.STRtree(lines)
    lengths = shapely.length(np.asarray(lines, dtype=object))
    holding = 0
    for c in np.flatnonzero(is_container):
        reach = radii[c] + SAME_NETWORK_SNAP
        found = False
        for j in tree.query(lines[c], predicate="dwithin", distance=reach):
            if j == c:
                continue
            snap = radii[c] + (SAME_NETWORK_SNAP if networks[j] == networks[c] else OTHER_NETWORK_SNAP)
            shared = shapely.intersection(lines[c], lines[j].buffer(snap)).length
            if shared >= CONTAINED_FRACTION * min(lengths[c], lengths[j]) and shared >= MIN_SHARED_RADII * snap:
                parent[find(j)] = find(c)
                found = True
        holding += found
    return np.array([find(i) for i in range(k)], dtype=np.int64), holding


def merge_labels(*labelings) -> np.ndarray:
    """(k,) int64 group numbers: lines that share a label in any of the labelings are one group.

    Parameters
    ----------
    *labelings : sequences of hashable, each of length k
        For example the containment groups and the network id of each line.
    """
    k = len(labelings[0]) if labelings else 0
    parent = np.arange(k)

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for labels in labelings:
        first: dict = {}
        for i, label in enumerate(labels):
            j = first.setdefault(label, i)
            if j != i:
                parent[find(i)] = find(j)
    return np.array([find(i) for i in range(k)], dtype=np.int64)
