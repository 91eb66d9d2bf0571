"""Broad phase for scenes spread over a plane: a uniform grid of square cells in x and y.

Cables and pipes lie in a thin layer under the ground (a few metres deep, kilometres
wide), so a grid over x and y sorts them well and z is left to the box test. Every box
is entered in each cell its x-y extent covers (a 3 m segment in two to four cells of
4 m), and only boxes that share a cell are tested. A pair is reported by exactly one
cell: the one holding the lower corner of the two boxes' overlap in x and y
(``max(lo_i), max(lo_j)``), which both boxes cover. Cells are counted and filled in
object order (a counting sort), so within a cell the objects stay in ascending order
and every pair comes out as ``(i, j)`` with ``i < j``.

This pays when the boxes are about the cell size: :func:`plane_layout` declines (returns
``None``) when the entries or the cells would grow past a few per box, and
:func:`vkls.geometry.kernels.candidate_pairs` then uses its hierarchical grid.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from vkls.geometry.kernels import _cell_of  # floor(x / edge), exact for a power-of-two edge

#: At most this many cell entries per box (plus a constant), and cells per box.
ENTRIES_PER_BOX = 8
CELLS_PER_BOX = 16
#: Cell chunks per thread of the scan, and the pairs per entry its buffers expect at first.
_CHUNKS_PER_THREAD = 8
_PAIRS_PER_ENTRY_GUESS = 1
_SAMPLE = 1 << 13
#: The cell edge is the power of two at or above this quantile of the boxes' x-y extents (on a
#: city, 3 m segments: 8 m cells, 1.5 entries per box; smaller cells cost more entries than
#: they save tests).
EDGE_QUANTILE = 0.75


@njit(cache=True)
def _edge(lo, hi):
    """Cell edge: the power of two at or above the ``EDGE_QUANTILE`` quantile of the x-y extents of a
    stride sample of the boxes (affects only the speed, never the pairs)."""
    n = lo.shape[0]
    m = min(n, _SAMPLE)
    extent = np.empty(m, dtype=np.float64)
    for u in range(m):
        i = u * n // m
        extent[u] = max(hi[i, 0] - lo[i, 0], hi[i, 1] - lo[i, 1])
    typical = np.quantile(extent, EDGE_QUANTILE)
    if not typical > 0.0:
        typical = extent.max()
    if not typical > 0.0:
        typical = 1.0
    return math.ldexp(1.0, int(math.ceil(math.log2(typical))))


@njit(cache=True)
def _layout(lo, hi, inv_edge, max_entries, max_cells):
    """Cell bounds and entry count; ``entries = -1`` when the grid would be too large, -2 for a box
    that is not finite or has ``lo > hi``."""
    n = lo.shape[0]
    x_lo, y_lo, x_hi, y_hi = np.inf, np.inf, -np.inf, -np.inf
    for i in range(n):
        for k in range(3):
            if not (math.isfinite(lo[i, k]) and math.isfinite(hi[i, k]) and lo[i, k] <= hi[i, k]):
                return 0, 0, 0, 0, -2
        x_lo = min(x_lo, lo[i, 0])
        y_lo = min(y_lo, lo[i, 1])
        x_hi = max(x_hi, hi[i, 0])
        y_hi = max(y_hi, hi[i, 1])
    if not ((x_hi - x_lo) * inv_edge < 1e9 and (y_hi - y_lo) * inv_edge < 1e9):
        return 0, 0, 0, 0, -1
    cx0, cy0 = _cell_of(x_lo, inv_edge), _cell_of(y_lo, inv_edge)
    nx, ny = _cell_of(x_hi, inv_edge) - cx0 + 1, _cell_of(y_hi, inv_edge) - cy0 + 1
    if nx * ny > max_cells:
        return 0, 0, 0, 0, -1
    entries = 0
    for i in range(n):
        entries += (_cell_of(hi[i, 0], inv_edge) - _cell_of(lo[i, 0], inv_edge) + 1) * \
            (_cell_of(hi[i, 1], inv_edge) - _cell_of(lo[i, 1], inv_edge) + 1)
        if entries > max_entries:
            return 0, 0, 0, 0, -1
    return cx0, cy0, nx, ny, entries


@njit(cache=True)
def _fill(lo, hi, inv_edge, cx0, cy0, ny, n_cells, n_entries):
    """Counting sort of the (cell, object) entries: ``start (cells + 1,)``, ``members (entries,)``.

    The boxes are not copied into entry order: objects come in the order of their lines, so
    the members of a cell already lie close together in memory (copying was slower)."""
    n = lo.shape[0]
    start = np.zeros(n_cells + 1, dtype=np.int64)
    for i in range(n):
        x0, x1 = _cell_of(lo[i, 0], inv_edge) - cx0, _cell_of(hi[i, 0], inv_edge) - cx0
        y0, y1 = _cell_of(lo[i, 1], inv_edge) - cy0, _cell_of(hi[i, 1], inv_edge) - cy0
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                start[x * ny + y + 1] += 1
    for c in range(n_cells):
        start[c + 1] += start[c]
    members = np.empty(n_entries, dtype=np.int64)
    position = start[:-1].copy()
    for i in range(n):
        x0, x1 = _cell_of(lo[i, 0], inv_edge) - cx0, _cell_of(hi[i, 0], inv_edge) - cx0
        y0, y1 = _cell_of(lo[i, 1], inv_edge) - cy0, _cell_of(hi[i, 1], inv_edge) - cy0
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                c = x * ny + y
                members[position[c]] = i
                position[c] += 1
    return start, members


@njit(cache=True, parallel=True)
def _scan(chunks, first_cell, base, limit, out, start, members, lo, hi, group, inv_edge, cx0, cy0, ny):
    """Write the pairs of the cell chunks ``chunks``: chunk ``k`` covers cells
    ``[first_cell[k], first_cell[k + 1])`` and writes from ``out[base[k]]`` up to ``out[limit[k]]``;
    returns each chunk's true pair count (above ``limit - base``: it overflowed)."""
    used = np.zeros(chunks.shape[0], dtype=np.int64)
    for u in prange(chunks.shape[0]):
        k = chunks[u]
        w = base[k]
        for c in range(first_cell[k], first_cell[k + 1]):
            s, e = start[c], start[c + 1]
            if e - s < 2:
                continue
            cx, cy = c // ny + cx0, c % ny + cy0
            for a in range(s, e - 1):
                i = members[a]
                gi = group[i]
                lx, ly, lz, hx, hy, hz = lo[i, 0], lo[i, 1], lo[i, 2], hi[i, 0], hi[i, 1], hi[i, 2]
                for b in range(a + 1, e):
                    j = members[b]
                    if (group[j] != gi and lo[j, 0] <= hx and lx <= hi[j, 0] and lo[j, 1] <= hy
                            and ly <= hi[j, 1] and lo[j, 2] <= hz and lz <= hi[j, 2]
                            and _cell_of(max(lx, lo[j, 0]), inv_edge) == cx
                            and _cell_of(max(ly, lo[j, 1]), inv_edge) == cy):
                        if w < limit[k]:
                            out[w, 0] = i
                            out[w, 1] = j
                        w += 1
        used[u] = w - base[k]
    return used


@njit(cache=True)
def _pairs(lo, hi, group, inv_edge, cx0, cy0, nx, ny, n_entries, n_threads):
    start, members = _fill(lo, hi, inv_edge, cx0, cy0, ny, nx * ny, n_entries)
    n_cells = nx * ny
    n_chunks = max(1, min(n_cells, _CHUNKS_PER_THREAD * n_threads))
    first_cell = np.empty(n_chunks + 1, dtype=np.int64)
    first_cell[0] = 0
    for k in range(1, n_chunks):  # chunks of about equal entries
        first_cell[k] = np.searchsorted(start, k * n_entries // n_chunks)
    first_cell[n_chunks] = n_cells
    for k in range(1, n_chunks + 1):
        first_cell[k] = max(first_cell[k], first_cell[k - 1])
    base = np.empty(n_chunks + 1, dtype=np.int64)
    base[0] = 0
    for k in range(n_chunks):
        base[k + 1] = base[k] + _PAIRS_PER_ENTRY_GUESS * (start[first_cell[k + 1]] - start[first_cell[k]]) + 64
    out = np.empty((base[n_chunks], 2), dtype=np.int64)
    used = _scan(np.arange(n_chunks), first_cell, base, base[1:], out, start, members, lo, hi, group,
                 inv_edge, cx0, cy0, ny)
    over = np.flatnonzero(used > base[1:] - base[:-1])
    if over.shape[0] > 0:  # scan the chunks that overflowed again into room of their exact size
        extra_base = np.full(n_chunks + 1, base[n_chunks], dtype=np.int64)
        total_extra = 0
        for k in over:
            extra_base[k] = base[n_chunks] + total_extra
            total_extra += used[k]
        limit = extra_base.copy()
        for k in over:
            limit[k] = extra_base[k] + used[k]
        grown = np.empty((base[n_chunks] + total_extra, 2), dtype=np.int64)
        grown[: base[n_chunks]] = out
        out = grown
        _scan(over, first_cell, extra_base, limit, out, start, members, lo, hi, group, inv_edge, cx0, cy0, ny)
        for k in over:
            base[k] = extra_base[k]
    total = used.sum()
    raw = np.empty((total, 2), dtype=np.int64)
    w = 0
    for k in range(n_chunks):
        raw[w: w + used[k]] = out[base[k]: base[k] + used[k]]
        w += used[k]
    return raw


def plane_pairs(lo: np.ndarray, hi: np.ndarray, group: np.ndarray, n_threads: int) -> np.ndarray | None:
    """Overlapping box pairs of different groups, unsorted, or ``None`` when the plane grid does not suit.

    Parameters
    ----------
    lo, hi : (N, 3) float64, metres, C-contiguous
        Closed boxes, finite, ``lo <= hi`` (checked by the caller).
    group : (N,) int64
    n_threads : int

    Returns
    -------
    (p, 2) int64 with ``i < j`` in each row, every pair once, in cell order; or None.

    Raises
    ------
    ValueError
        A box that is not finite or has ``lo > hi``.
    """
    n = lo.shape[0]
    edge = _edge(lo, hi)
    inv_edge = 1.0 / edge
    cx0, cy0, nx, ny, entries = _layout(lo, hi, inv_edge, ENTRIES_PER_BOX * n + 1024, CELLS_PER_BOX * n + 65536)
    if entries == -2:
        raise ValueError("candidate_pairs: lo and hi must be finite with lo <= hi")
    if entries < 0:
        return None
    return _pairs(lo, hi, group, inv_edge, cx0, cy0, nx, ny, entries, n_threads)
