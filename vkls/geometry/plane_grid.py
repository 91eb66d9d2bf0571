"""Broad and narrow phase for scenes spread over a plane: a uniform grid of square cells in x and y.

Cables and pipes lie in a thin layer under the ground (a few metres deep, kilometres
wide), so a grid over x and y sorts them well and z is left to the box test. Every box
is entered in each cell its x-y extent covers (a 3 m segment in one to four cells of
8 m), and only boxes that share a cell are tested. A pair is reported by exactly one
cell: the one holding the lower corner of the two boxes' overlap in x and y
(``max(lo_i), max(lo_j)``), which both boxes cover. Cells are counted and filled in
object order (a counting sort), so within a cell the objects stay in ascending order
and every pair comes out as ``(i, j)`` with ``i < j``. Cells are numbered block by block
(16 x 16 cells), so that the next segments of a line are met while still in the cache.

Two grids and their scans:

- :func:`plane_cells` of boxes ``lo, hi``, scanned by :func:`plane_pairs`: every overlapping box
  pair (the broad phase of :func:`vkls.geometry.kernels.candidate_pairs`);
- :func:`primitive_cells` of a scene's primitives, scanned by :func:`plane_contacts`: broad
  phase, exact distance and reach filter in one pass. No box of a capsule is stored: its cells
  come from its segment, radius and margin, and the scan makes its box again from the segment
  it copies anyway. The segments of one line in a cell form a run, and runs of two lines are
  compared only when both objects are paired (some rule judges them), some rule judges their
  kinds, and their boxes overlap within that pair's own limit; two capsules are kept only
  within the reach for the regime they lie in (side by side, crossing, stacked).

The count and the fill read each box's cells (four int32 from a reference cell), not its
bounds. From 65,536 boxes on, the grid is counted and filled in two halves at once (two threads).

This pays when the boxes are about the cell size: both grids decline (return ``None``) when
the entries or the cells would grow past a few per box, and the callers then use the
hierarchical grid of :func:`vkls.geometry.kernels.candidate_pairs`.
"""

from __future__ import annotations

import math
import threading

import numba
import numpy as np
from numba import njit, prange

# _cell_of: floor(x / edge), exact for a power-of-two edge
from vkls.geometry.kernels import (
    _axes_abs_cos,
    _capsule_bounds,
    _capsule_capsule,
    _cell_of,
    _geometry_at,
    _lateral,
    _lateral_of,
    _lines_farther,
    _regime,
    _sub,
    prefetch_row,
    regime_limits,
)
from vkls.geometry.regimes import CROSSING
from vkls.threads import worker_threads

#: At most this many cell entries per box (plus a constant), and cells per box.
ENTRIES_PER_BOX = 8
CELLS_PER_BOX = 16
#: The contact scan asks for the rows of the member this many entries ahead while it copies a cell.
_PREFETCH_AHEAD = 16
#: Cell chunks per thread of the scan, and the pairs per entry its buffers expect at first.
_CHUNKS_PER_THREAD = 8
_PAIRS_PER_ENTRY_GUESS = 1
_SAMPLE = 1 << 13
#: The cell edge is the power of two at or above this quantile of the boxes' x-y extents (on a
#: city, 3 m segments: 8 m cells, 1.5 entries per box; smaller cells cost more entries than
#: they save tests).
EDGE_QUANTILE = 0.75


#: From this many boxes on, the grid is filled in two parts at once (where numba may use two threads).
_PARALLEL_FILL_FROM = 1 << 16

#: Cells are numbered block by block (square blocks of up to 16 x 16 cells, row by row within a
#: block), so that the scan meets the next segments of a line while they are still in the cache.
_BLOCK_SHIFT = 4


def _block_shift(nx: int, ny: int) -> int:
    """log2 of the block side: 16 cells, less for a grid narrower than that (a single street)."""
    return min(_BLOCK_SHIFT, max(0, math.ceil(math.log2(max(1, min(nx, ny))))))


@njit(cache=True, inline="always")
def _cell_number(x, y, nby, shift):
    """Number of the cell at ``(x, y)`` (cells from the grid's corner) in block order."""
    mask = (1 << shift) - 1
    return ((((x >> shift) * nby + (y >> shift)) << shift | (x & mask)) << shift) | (y & mask)


@njit(cache=True, inline="always")
def _cell_at(c, cx0, cy0, nby, shift):
    """``(cx, cy)``: the cell indices of cell ``c`` along x and y, as :func:`kernels._cell_of` gives them."""
    x, y = _cell_position(c, nby, shift)
    return x + cx0, y + cy0


@njit(cache=True, inline="always")
def _cell_position(c, nby, shift):
    """Inverse of :func:`_cell_number`: ``(x, y)`` of cell ``c``."""
    mask = (1 << shift) - 1
    block = c >> (2 * shift)
    return (block // nby << shift) | ((c >> shift) & mask), (block % nby << shift) | (c & mask)


def _edge(lo: np.ndarray, hi: np.ndarray) -> float:
    """Cell edge: the power of two at or above the ``EDGE_QUANTILE`` quantile of the x-y extents of a
    stride sample of the boxes (affects only the speed, never the pairs)."""
    n = lo.shape[0]
    m = min(n, _SAMPLE)
    sample = np.arange(m) * n // m
    with np.errstate(invalid="ignore"):  # boxes that are not finite are refused by _cell_ranges
        extent = np.maximum(hi[sample, 0] - lo[sample, 0], hi[sample, 1] - lo[sample, 1])
        typical = float(np.quantile(extent, EDGE_QUANTILE))
    if not typical > 0.0:
        typical = float(extent.max())
    if not (typical > 0.0 and math.isfinite(typical)):
        typical = 1.0
    return math.ldexp(1.0, math.ceil(math.log2(typical)))


@njit(cache=True, inline="always")
def _put_cell_range(ranges, i, x_lo, x_hi, y_lo, y_hi, inv_edge, ref_x, ref_y):
    """Write the cells a box covers in x and y to ``ranges[i]``: ``x0, x1, y0, y1`` from the reference cell."""
    ranges[i, 0] = _cell_of(x_lo, inv_edge) - ref_x
    ranges[i, 1] = _cell_of(x_hi, inv_edge) - ref_x
    ranges[i, 2] = _cell_of(y_lo, inv_edge) - ref_y
    ranges[i, 3] = _cell_of(y_hi, inv_edge) - ref_y


@njit(cache=True, nogil=True)
def _cell_ranges(lo, hi, first, last, inv_edge, ref_x, ref_y, ranges, extent):
    """Write the cells each box ``first <= i < last`` covers to ``ranges (N, 4) int32``: ``x0, x1, y0, y1``
    counted from the reference cell ``(ref_x, ref_y)``, and the x-y extent of the boxes to
    ``extent (4,)``: ``x_lo, y_lo, x_hi, y_hi``; returns False for a box that is not finite or has
    ``lo > hi`` (its ranges are then void).

    The count and the fill read these 16 bytes per box instead of the 48 of its bounds. The extent
    and the checks need no branch per box: ``lo <= hi`` fails for NaN, and with it every lower
    bound lies between the smallest ``lo`` and the largest ``hi`` of its axis, so those six decide
    whether every bound is finite."""
    x_lo, y_lo, z_lo, x_hi, y_hi, z_hi = np.inf, np.inf, np.inf, -np.inf, -np.inf, -np.inf
    disordered = 0
    for i in range(first, last):
        disordered += (not lo[i, 0] <= hi[i, 0]) + (not lo[i, 1] <= hi[i, 1]) + (not lo[i, 2] <= hi[i, 2])
        x_lo, y_lo, z_lo = min(x_lo, lo[i, 0]), min(y_lo, lo[i, 1]), min(z_lo, lo[i, 2])
        x_hi, y_hi, z_hi = max(x_hi, hi[i, 0]), max(y_hi, hi[i, 1]), max(z_hi, hi[i, 2])
        _put_cell_range(ranges, i, lo[i, 0], hi[i, 0], lo[i, 1], hi[i, 1], inv_edge, ref_x, ref_y)
    if disordered > 0 or not (math.isfinite(x_lo) and math.isfinite(y_lo) and math.isfinite(z_lo)
                              and math.isfinite(x_hi) and math.isfinite(y_hi) and math.isfinite(z_hi)):
        return False
    extent[0], extent[1], extent[2], extent[3] = x_lo, y_lo, x_hi, y_hi
    return True


@njit(cache=True, parallel=True)
def _capsule_cell_ranges(cap_a, cap_b, cap_r, owner, margin, inv_edge, ref_x, ref_y, ranges):
    """:func:`_cell_ranges` for the capsules, their boxes made from their segments, radii and their objects'
    ``margin`` as :func:`vkls.geometry.kernels.capsule_aabbs` makes them (no box is stored: the scan makes
    them again from the segments it reads anyway).

    Returns
    -------
    bad_a, bad_b, bad_r : int
        How many values of ``cap_a``, ``cap_b``, ``cap_r`` are not finite.
    disordered : int
        How many bounds have ``lo > hi``.
    x_lo, y_lo, x_hi, y_hi : float
        The x-y extent of the boxes.
    """
    bad_a, bad_b, bad_r, disordered = 0, 0, 0, 0
    x_lo, y_lo, x_hi, y_hi = np.inf, np.inf, -np.inf, -np.inf
    for i in prange(cap_a.shape[0]):
        grow = cap_r[i] + margin[owner[i]]
        bad_r += not math.isfinite(cap_r[i])
        bad_a += (not math.isfinite(cap_a[i, 0])) + (not math.isfinite(cap_a[i, 1])) + (not math.isfinite(cap_a[i, 2]))
        bad_b += (not math.isfinite(cap_b[i, 0])) + (not math.isfinite(cap_b[i, 1])) + (not math.isfinite(cap_b[i, 2]))
        lx, hx = _capsule_bounds(cap_a[i, 0], cap_b[i, 0], grow)
        ly, hy = _capsule_bounds(cap_a[i, 1], cap_b[i, 1], grow)
        lz, hz = _capsule_bounds(cap_a[i, 2], cap_b[i, 2], grow)
        disordered += (not lx <= hx) + (not ly <= hy) + (not lz <= hz)
        x_lo = min(x_lo, lx)
        y_lo = min(y_lo, ly)
        x_hi = max(x_hi, hx)
        y_hi = max(y_hi, hy)
        _put_cell_range(ranges, i, lx, hx, ly, hy, inv_edge, ref_x, ref_y)
    return bad_a, bad_b, bad_r, disordered, x_lo, y_lo, x_hi, y_hi


@njit(cache=True)
def _grid_size(extents, inv_edge, max_cells):
    """First cell and cells along x and y of the grid over the extents ``(parts, 4)`` of
    :func:`_cell_ranges`: ``cx0, cy0, nx, ny``; ``nx = 0`` when the grid would be too large."""
    x_lo, y_lo = extents[:, 0].min(), extents[:, 1].min()
    x_hi, y_hi = extents[:, 2].max(), extents[:, 3].max()
    if not ((x_hi - x_lo) * inv_edge < 1e9 and (y_hi - y_lo) * inv_edge < 1e9):
        return 0, 0, 0, 0
    cx0, cy0 = _cell_of(x_lo, inv_edge), _cell_of(y_lo, inv_edge)
    nx, ny = _cell_of(x_hi, inv_edge) - cx0 + 1, _cell_of(y_hi, inv_edge) - cy0 + 1
    if nx * ny > max_cells:
        return 0, 0, 0, 0
    return cx0, cy0, nx, ny


@njit(cache=True, nogil=True)
def _count_cells(ranges, first, last, dx, dy, nby, shift, counts, max_entries):
    """Add the cell entries of boxes ``first <= i < last`` to ``counts (cells,)``; returns how many, or
    -1 as soon as they pass ``max_entries`` (the grid would be too large). ``ranges`` from
    :func:`_cell_ranges`, the grid's first cell at ``(dx, dy)`` from their reference cell."""
    entries = 0
    for i in range(first, last):
        x0, x1, y0, y1 = ranges[i, 0] - dx, ranges[i, 1] - dx, ranges[i, 2] - dy, ranges[i, 3] - dy
        entries += (x1 - x0 + 1) * (y1 - y0 + 1)
        if entries > max_entries:
            return -1
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                counts[_cell_number(x, y, nby, shift)] += 1
    return entries


@njit(cache=True, nogil=True)
def _place_cells(ranges, first, last, dx, dy, nby, shift, position, members):
    """Write boxes ``first <= i < last`` into ``members`` at each cell's ``position`` (advanced)."""
    for i in range(first, last):
        x0, x1, y0, y1 = ranges[i, 0] - dx, ranges[i, 1] - dx, ranges[i, 2] - dy, ranges[i, 3] - dy
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                c = _cell_number(x, y, nby, shift)
                members[position[c]] = i
                position[c] += 1


@njit(cache=True)
def _cell_starts(counts):
    """``start (cells + 1,)``: where each cell's entries begin (a running sum of ``counts (parts, cells)``
    over the cells); ``counts[k]`` becomes where part k's entries begin in each cell, after the parts before."""
    start = np.empty(counts.shape[1] + 1, dtype=np.int64)
    position = 0
    for c in range(counts.shape[1]):
        start[c] = position
        for k in range(counts.shape[0]):
            count = counts[k, c]
            counts[k, c] = position
            position += count
    start[counts.shape[1]] = position
    return start


def _each_part(n_parts: int):
    """``map`` over the parts: in two kept threads (the part kernels release the GIL), none for one part."""
    return map if n_parts == 1 else worker_threads("grid").map


def _fill(ranges, dx, dy, nby, shift, n_cells, max_entries, bounds):
    """Counting sort of the (cell, object) entries: ``start (cells + 1,)``, ``members (entries,)``, or
    ``None`` when there would be more than ``max_entries``.

    ``ranges``, ``dx``, ``dy``: the cells of each box, as :func:`_count_cells` reads them. The boxes
    are split into the parts ``bounds[k] <= i < bounds[k + 1]``, counted and placed at
    once (:func:`_each_part`); within a cell the entries of one
    range follow those of the range before, so the members stay in ascending order whatever the
    number of parts. The boxes are not copied into entry order: objects come in the order of their
    lines, so the members of a cell already lie close together in memory (copying was slower)."""
    n_parts = len(bounds) - 1
    each = _each_part(n_parts)
    counts = np.zeros((n_parts, n_cells), dtype=np.int64)
    entries = list(each(lambda k: _count_cells(ranges, bounds[k], bounds[k + 1], dx, dy, nby, shift, counts[k],
                                               max_entries), range(n_parts)))
    if min(entries) < 0 or sum(entries) > max_entries:
        return None
    start = _cell_starts(counts)
    members = np.empty(sum(entries), dtype=np.int64)
    list(each(lambda k: _place_cells(ranges, bounds[k], bounds[k + 1], dx, dy, nby, shift, counts[k], members),
              range(n_parts)))
    return start, members


@njit(cache=True, parallel=True)
def _scan(chunks, first_cell, base, limit, out, start, members, lo, hi, group, inv_edge, cx0, cy0, nby, shift):
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
            cx, cy = _cell_at(c, cx0, cy0, nby, shift)
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
def _chunk_plan(start, n_entries, n_chunks, rows_per_entry):
    """Chunks of cells with about equal entries: ``first_cell (chunks + 1,)`` and the first output row
    of each chunk, ``base (chunks + 1,)``, leaving ``rows_per_entry`` rows per entry (plus 64)."""
    n_cells = start.shape[0] - 1
    n_chunks = max(1, min(n_cells, n_chunks))
    first_cell = np.empty(n_chunks + 1, dtype=np.int64)
    first_cell[0] = 0
    for k in range(1, n_chunks):
        first_cell[k] = np.searchsorted(start, k * n_entries // n_chunks)
    first_cell[n_chunks] = n_cells
    for k in range(1, n_chunks + 1):
        first_cell[k] = max(first_cell[k], first_cell[k - 1])
    base = np.empty(n_chunks + 1, dtype=np.int64)
    base[0] = 0
    for k in range(n_chunks):
        base[k + 1] = base[k] + int(rows_per_entry * (start[first_cell[k + 1]] - start[first_cell[k]])) + 64
    return first_cell, base


@njit(cache=True)
def _overflow_plan(used, base):
    """For the chunks whose rows did not fit (``used > base[k + 1] - base[k]``): their indices, new
    first rows past ``base[-1]`` and row limits (``extra_base``, ``limit``), and the rows needed in all."""
    n_chunks = used.shape[0]
    over = np.flatnonzero(used > base[1:] - base[:-1])
    extra_base = np.full(n_chunks + 1, base[n_chunks], dtype=np.int64)
    total = base[n_chunks]
    for k in over:
        extra_base[k] = total
        total += used[k]
    limit = extra_base.copy()
    for k in over:
        limit[k] = extra_base[k] + used[k]
    return over, extra_base, limit, total


def _scan_chunks(scan, columns, start, n_threads, rows_per_entry, *arguments):
    """Run a cell scan (:func:`_scan`, :func:`_contact_scan`) over chunks of cells with about equal
    entries, in parallel; a chunk that runs out of room is scanned again into room of its exact size.

    Parameters
    ----------
    scan : the kernel, called as ``scan(chunks, first_cell, base, limit, *outputs, *arguments)``
    columns : list of (int, dtype)
        Width and type of each output array (rows of one pair each).
    start : (cells + 1,) int64
        From :func:`plane_cells`.
    rows_per_entry : float
        Output rows per cell entry to make room for at first.

    Returns
    -------
    outputs : list of (r, width) arrays
    rows : (p,) int64
        The rows written, chunk after chunk (in cell order).
    """
    first_cell, base = _chunk_plan(start, int(start[-1]), _CHUNKS_PER_THREAD * n_threads, rows_per_entry)
    n_chunks = len(first_cell) - 1
    outputs = [_room(slot, base[n_chunks], width, dtype) for slot, (width, dtype) in enumerate(columns)]
    used = scan(np.arange(n_chunks), first_cell, base, base[1:], *outputs, *arguments)
    over, extra_base, limit, total = _overflow_plan(used, base)
    if len(over):
        outputs = [np.concatenate([out, np.empty((total - len(out), out.shape[1]), dtype=out.dtype)])
                   for out in outputs]
        scan(over, first_cell, extra_base, limit, *outputs, *arguments)
        base[over] = extra_base[over]
    rows = np.concatenate([np.arange(base[k], base[k] + used[k]) for k in range(n_chunks)])
    return outputs, rows


#: The scans' output room, kept per thread from check to check up to this many bytes per array: the
#: room is made for far more rows than a scan writes (0.5 per cell entry; a city writes 0.06), and
#: the pages it does write were faulted in afresh every time (2 ms on a 1.3e6-segment city).
_ROOM_KEPT_BYTES = 256 << 20
_ROOM = threading.local()


def _room(slot: int, rows: int, width: int, dtype) -> np.ndarray:
    """Uninitialised ``(rows, width)`` output room of the scans, the kept array ``slot`` of this thread where
    it is large enough (the scans only write it; their results are copied out before the next scan)."""
    kept = getattr(_ROOM, "arrays", None)
    if kept is None:
        kept = _ROOM.arrays = {}
    array = kept.get(slot)
    if array is None or array.shape[0] < rows or array.shape[1] != width or array.dtype != dtype:
        array = np.empty((rows, width), dtype=dtype)
        if array.nbytes <= _ROOM_KEPT_BYTES:
            kept[slot] = array
    return array[:rows]


def _pairs(start, members, lo, hi, group, inv_edge, cx0, cy0, nby, shift, n_threads):
    (out,), rows = _scan_chunks(_scan, [(2, np.int64)], start, n_threads, _PAIRS_PER_ENTRY_GUESS, start, members,
                                lo, hi, group, inv_edge, cx0, cy0, nby, shift)
    return np.take(out, rows, axis=0)


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
    cells = plane_cells(lo, hi)
    if cells is None:
        return None
    return _pairs(*cells[:2], lo, hi, group, *cells[2:], n_threads)


# --------------------------------------------------------------------------- #
# Contacts: the broad phase, the exact distance and the reach filter in one    #
# pass over the cells.                                                         #
# --------------------------------------------------------------------------- #

#: Columns of a contact row: distance, witness on i (3), witness on j (3), |cos|, horizontal, vertical.
_CONTACT_COLUMNS = 10
#: Contact rows per cell entry the scan's buffers expect at first (a city keeps 0.27 per entry; a
#: chunk that needs more is scanned again into room of its exact size).
_CONTACTS_PER_ENTRY_GUESS = 0.5


@njit(cache=True, parallel=True)
def _contact_scan(chunks, first_cell, base, limit, pairs_out, values_out, start, members, other_lo, other_hi, owner,
                  group, kind, margin, spread, reach, regime_reach, side_cos, paired, slack, cap_a, cap_b, cap_r, box_c,
                  box_h, box_axes, cyl_xy, cyl_z, cyl_r, inv_edge, cx0, cy0, nby, shift, widest):
    """Write the contacts of the cell chunks ``chunks`` (as :func:`_scan` writes pairs); returns each
    chunk's true contact count.

    Within a cell the members of one object (the consecutive segments of a line) form a run. Two
    runs are compared only when their objects are of different groups and both ``paired``, some
    rule judges their two kinds, and their boxes, shrunk back from the broad-phase margins to the pair's own limit
    ``reach + spread_i + spread_j + slack``, overlap; then their members, by the same test. Two
    capsules whose axes' lines already lie farther apart than the limit are not measured, and two
    capsules are kept only within the limit of their regime (``regime_reach``).

    A cell's boxes and segments are first copied side by side (the members of a cell lie in
    several places of the scene's arrays; the pairs then read them from the copy). A capsule's box
    is made from its segment, radius and margin (as :func:`primitive_cells` made it); ``other_lo``,
    ``other_hi`` hold the boxes of the other primitives (boxes, cylinders: row ``i - n_capsules``).
    """
    used = np.zeros(chunks.shape[0], dtype=np.int64)
    for u in prange(chunks.shape[0]):  # the work of a chunk is its own function: parallel loops with
        k = chunks[u]                  # large bodies are slow to compile
        used[u] = _scan_chunk(first_cell[k], first_cell[k + 1], base[k], limit[k], pairs_out, values_out, start,
                              members, other_lo, other_hi, owner, group, kind, margin, spread, reach, regime_reach,
                              side_cos,
                              paired, slack, cap_a, cap_b,
                              cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r, inv_edge, cx0, cy0, nby, shift,
                              widest) - base[k]
    return used


@njit(cache=True)
def _scan_chunk(first, last, w, limit, pairs_out, values_out, start, members, other_lo, other_hi, owner, group, kind,
                margin,
                spread, reach, regime_reach, side_cos, paired, slack, cap_a, cap_b, cap_r, box_c, box_h, box_axes,
                cyl_xy, cyl_z, cyl_r, inv_edge, cx0, cy0, nby, shift, widest):
    """The contacts of cells ``[first, last)`` written from row ``w`` up to row ``limit``; returns the row
    after the last contact (past ``limit``: the room was too small). See :func:`_contact_scan`."""
    n_capsules = cap_a.shape[0]
    run_first = np.empty(widest + 1, dtype=np.int64)
    run_box = np.empty((widest, 6), dtype=np.float64)
    run_group = np.empty(widest, dtype=np.int64)
    run_paired = np.empty(widest, dtype=np.bool_)
    run_kind = np.empty(widest, dtype=np.int64)
    run_margin = np.empty(widest, dtype=np.float64)
    run_spread = np.empty(widest, dtype=np.float64)
    order = np.empty(widest, dtype=np.int64)
    box = np.empty((widest, 6), dtype=np.float64)
    segment = np.zeros((widest, 7), dtype=np.float64)
    for c in range(first, last):
        s, e = start[c], start[c + 1]
        if e - s < 2:
            continue
        cx, cy = _cell_at(c, cx0, cy0, nby, shift)
        runs = 0
        previous = -1
        for a in range(s, e):
            i = members[a]
            p = a - s
            if a + _PREFETCH_AHEAD < members.shape[0]:  # the members lie all over the arrays: ask ahead
                ahead = members[a + _PREFETCH_AHEAD]
                prefetch_row(owner, ahead)
                if ahead < n_capsules:
                    prefetch_row(cap_a, ahead)
                    prefetch_row(cap_b, ahead)
                    prefetch_row(cap_r, ahead)
            if i < n_capsules:
                grow = cap_r[i] + margin[owner[i]]
                for q in range(3):
                    segment[p, q] = cap_a[i, q]
                    segment[p, 3 + q] = cap_b[i, q]
                    box[p, q], box[p, 3 + q] = _capsule_bounds(cap_a[i, q], cap_b[i, q], grow)
                segment[p, 6] = cap_r[i]
            else:
                for q in range(3):
                    box[p, q] = other_lo[i - n_capsules, q]
                    box[p, 3 + q] = other_hi[i - n_capsules, q]
            if owner[i] != previous:
                previous = owner[i]
                run_first[runs] = a
                run_group[runs], run_kind[runs], run_paired[runs] = group[previous], kind[previous], paired[previous]
                run_margin[runs], run_spread[runs] = margin[previous], spread[previous]
                for q in range(6):
                    run_box[runs, q] = box[p, q]
                runs += 1
            else:
                for q in range(3):
                    run_box[runs - 1, q] = min(run_box[runs - 1, q], box[p, q])
                    run_box[runs - 1, 3 + q] = max(run_box[runs - 1, 3 + q], box[p, 3 + q])
        run_first[runs] = e
        # sweep along the axis in which the runs are thinnest (across a street's lines)
        extent_x, extent_y = 0.0, 0.0
        for r in range(runs):
            extent_x += run_box[r, 3] - run_box[r, 0]
            extent_y += run_box[r, 4] - run_box[r, 1]
        axis = 0 if extent_x <= extent_y else 1
        for r in range(runs):  # insertion sort of the runs on their lower bound along the axis
            t = r - 1
            while t >= 0 and run_box[order[t], axis] > run_box[r, axis]:
                order[t + 1] = order[t]
                t -= 1
            order[t + 1] = r
        for u1 in range(runs - 1):
            s1 = order[u1]
            upper = run_box[s1, 3 + axis]
            for u2 in range(u1 + 1, runs):
                s2 = order[u2]
                if run_box[s2, axis] > upper:
                    break
                r1, r2 = min(s1, s2), max(s1, s2)  # runs in member order, so that i < j
                if run_group[r2] == run_group[r1] or not (run_paired[r1] and run_paired[r2]):
                    continue
                within = reach[run_kind[r1], run_kind[r2]] + run_spread[r1] + run_spread[r2] + slack
                if math.isnan(within):  # no rule judges this pair of kinds
                    continue
                shrink = max(0.0, run_margin[r1] + run_margin[r2] - within - slack)
                if not (run_box[r2, 0] + shrink <= run_box[r1, 3] and run_box[r1, 0] + shrink <= run_box[r2, 3]
                        and run_box[r2, 1] + shrink <= run_box[r1, 4]
                        and run_box[r1, 1] + shrink <= run_box[r2, 4]
                        and run_box[r2, 2] + shrink <= run_box[r1, 5]
                        and run_box[r1, 2] + shrink <= run_box[r2, 5]):
                    continue
                for a in range(run_first[r1], run_first[r1 + 1]):
                    i = members[a]
                    p = a - s
                    lx, ly, lz, hx, hy, hz = box[p, 0], box[p, 1], box[p, 2], box[p, 3], box[p, 4], box[p, 5]
                    a1 = (segment[p, 0], segment[p, 1], segment[p, 2])
                    b1 = (segment[p, 3], segment[p, 4], segment[p, 5])
                    for b in range(run_first[r2], run_first[r2 + 1]):
                        q = b - s
                        if not (box[q, 0] + shrink <= hx and lx + shrink <= box[q, 3]
                                and box[q, 1] + shrink <= hy and ly + shrink <= box[q, 4]
                                and box[q, 2] + shrink <= hz and lz + shrink <= box[q, 5]
                                and _cell_of(max(lx, box[q, 0]), inv_edge) == cx
                                and _cell_of(max(ly, box[q, 1]), inv_edge) == cy):
                            continue
                        j = members[b]
                        if j < n_capsules:  # and so is i < j
                            a2 = (segment[q, 0], segment[q, 1], segment[q, 2])
                            b2 = (segment[q, 3], segment[q, 4], segment[q, 5])
                            near = within  # two crossing capsules need only be within the crossing reach
                            if _axes_abs_cos(_sub(b1, a1), _sub(b2, a2)) < side_cos:  # as _capsule_capsule's
                                near = regime_reach[CROSSING, run_kind[r1], run_kind[r2]] + run_spread[r1] \
                                    + run_spread[r2] + slack
                                if math.isnan(near):  # no rule judges these two kinds crossing
                                    continue
                            # (the slack once more: the bound and the distance round differently)
                            if _lines_farther(a1, b1, segment[p, 6], a2, b2, segment[q, 6], near + slack):
                                continue
                            d, wi, wj, abs_cos = _capsule_capsule(a1, b1, segment[p, 6], a2, b2, segment[q, 6])
                        else:
                            d, wi, wj, abs_cos = _geometry_at(i, j, cap_a, cap_b, cap_r, box_c, box_h, box_axes,
                                                              cyl_xy, cyl_z, cyl_r)
                        if not d <= within:
                            continue
                        if i < n_capsules:
                            horizontal, vertical = _lateral_of(wi, wj, a1, b1)
                        else:
                            horizontal, vertical = _lateral(i, wi, wj, cap_a, cap_b)
                        if j < n_capsules and not d <= regime_reach[
                                _regime(abs_cos, horizontal, vertical, side_cos), run_kind[r1], run_kind[r2]] \
                                + run_spread[r1] + run_spread[r2] + slack:
                            continue  # beyond the reach for capsules that lie as these two do
                        if w < limit:
                            pairs_out[w, 0] = i
                            pairs_out[w, 1] = j
                            values_out[w, 0] = d
                            for t in range(3):
                                values_out[w, 1 + t] = wi[t]
                                values_out[w, 4 + t] = wj[t]
                            values_out[w, 7] = abs_cos
                            values_out[w, 8] = horizontal
                            values_out[w, 9] = vertical
                        w += 1
    return w


def _contacts(start, members, other_lo, other_hi, owner, group, kind, margin, spread, reach, regime_reach, side_cos,
              paired, slack, cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r, inv_edge, cx0, cy0, nby,
              shift, n_threads):
    """Scan the cells in chunks, then sort the contacts (see :func:`plane_contacts`)."""
    widest = max(1, int(np.diff(start).max(initial=0)))
    (pairs_out, values_out), rows = _scan_chunks(
        _contact_scan, [(2, np.int64), (_CONTACT_COLUMNS, np.float64)], start, n_threads, _CONTACTS_PER_ENTRY_GUESS,
        start, members, other_lo, other_hi, owner, group, kind, margin, spread, reach, regime_reach, side_cos, paired,
        slack, cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r, inv_edge, cx0, cy0, nby, shift,
        widest)
    return _sorted_contacts(rows, pairs_out, values_out, owner.shape[0], min(n_threads, _SORT_PARTS_MAX))


@njit(cache=True)
def _sort_bucket(order, keys, first, last):
    """Sort ``order[first:last]`` on ``keys[first:last]`` (both in place): an insertion sort for the few
    rows of a bucket, a full sort where one primitive has many contacts."""
    if last - first > 32:
        by_key = np.argsort(keys[first:last])
        order[first:last] = order[first:last][by_key]
        keys[first:last] = keys[first:last][by_key]
        return
    for u in range(first + 1, last):
        row, key = order[u], keys[u]
        t = u - 1
        while t >= first and keys[t] > key:
            order[t + 1], keys[t + 1] = order[t], keys[t]
            t -= 1
        order[t + 1], keys[t + 1] = row, key


#: The contacts are sorted by buckets of 2**_BUCKET_SHIFT first primitives, then within each bucket;
#: at most _SORT_PARTS_MAX parts count them (each holds a count per bucket).
_BUCKET_SHIFT = 3
_SORT_PARTS_MAX = 8


@njit(cache=True, parallel=True)
def _sorted_contacts(rows, pairs_out, values_out, n, n_parts):
    """The contact rows ``rows`` in lexicographic ``(i, j)`` order: pairs, distance, witness_i,
    witness_j, abs_cos, horizontal, vertical.

    A parallel counting sort on ``i >> _BUCKET_SHIFT`` (each of ``n_parts`` parts of the rows
    counts and places its own), then every bucket sorted on ``(i, j)`` (see :func:`_sort_bucket`).
    """
    m = rows.shape[0]
    n_buckets = (n >> _BUCKET_SHIFT) + 1
    counts = np.zeros((n_parts, n_buckets), dtype=np.int64)
    for part in prange(n_parts):
        for u in range(part * m // n_parts, (part + 1) * m // n_parts):
            counts[part, pairs_out[rows[u], 0] >> _BUCKET_SHIFT] += 1
    start = np.empty(n_buckets + 1, dtype=np.int64)
    running = 0
    for b in range(n_buckets):  # bucket by bucket, and within a bucket part by part (stable)
        start[b] = running
        for part in range(n_parts):
            count = counts[part, b]
            counts[part, b] = running
            running += count
    start[n_buckets] = running
    order = np.empty(m, dtype=np.int64)
    keys = np.empty(m, dtype=np.int64)  # i * n + j: the buckets are sorted on these, side by side with order
    for part in prange(n_parts):
        for u in range(part * m // n_parts, (part + 1) * m // n_parts):
            row = rows[u]
            b = pairs_out[row, 0] >> _BUCKET_SHIFT
            order[counts[part, b]] = row
            keys[counts[part, b]] = pairs_out[row, 0] * n + pairs_out[row, 1]
            counts[part, b] += 1
    for b in prange(n_buckets):
        if start[b + 1] - start[b] > 1:
            _sort_bucket(order, keys, start[b], start[b + 1])
    pairs = np.empty((m, 2), dtype=np.int64)
    distance = np.empty(m, dtype=np.float64)
    witness_i = np.empty((m, 3), dtype=np.float64)
    witness_j = np.empty((m, 3), dtype=np.float64)
    abs_cos = np.empty(m, dtype=np.float64)
    horizontal = np.empty(m, dtype=np.float64)
    vertical = np.empty(m, dtype=np.float64)
    for u in prange(m):
        if u + _PREFETCH_AHEAD < m:  # the rows lie in cell order, spread over the room: ask ahead
            prefetch_row(values_out, order[u + _PREFETCH_AHEAD])
            prefetch_row(pairs_out, order[u + _PREFETCH_AHEAD])
        row = order[u]
        pairs[u, 0], pairs[u, 1] = pairs_out[row, 0], pairs_out[row, 1]
        distance[u] = values_out[row, 0]
        for q in range(3):
            witness_i[u, q] = values_out[row, 1 + q]
            witness_j[u, q] = values_out[row, 4 + q]
        abs_cos[u] = values_out[row, 7]
        horizontal[u] = values_out[row, 8]
        vertical[u] = values_out[row, 9]
    return pairs, distance, witness_i, witness_j, abs_cos, horizontal, vertical


def plane_cells(lo: np.ndarray, hi: np.ndarray):
    """The boxes entered in a plane grid, or ``None`` when the grid does not suit (see :func:`plane_pairs`).

    Parameters
    ----------
    lo, hi : (N, 3) float64, metres, C-contiguous

    Returns
    -------
    tuple ``(start, members, inv_edge, cx0, cy0, nby, shift)`` for :func:`plane_pairs`, or None.

    Raises
    ------
    ValueError
        A box that is not finite or has ``lo > hi``.
    """
    n = lo.shape[0]
    if n == 0:
        return None
    inv_edge = 1.0 / _edge(lo, hi)
    ref_x, ref_y = _reference_cell(lo[0], inv_edge)
    ranges = np.empty((n, 4), dtype=np.int32)
    bounds = _parts(n)
    extents = np.empty((len(bounds) - 1, 4))
    each = _each_part(len(bounds) - 1)
    if not all(list(each(lambda k: _cell_ranges(lo, hi, bounds[k], bounds[k + 1], inv_edge, ref_x, ref_y, ranges,
                                                extents[k]), range(len(bounds) - 1)))):
        raise ValueError("plane grid: lo and hi must be finite with lo <= hi")
    return _grid(ranges, extents, inv_edge, ref_x, ref_y, bounds)


def primitive_cells(primitives: tuple, owner: np.ndarray, margin: np.ndarray):
    """The primitives' boxes, enlarged by their objects' margins, entered in a plane grid; ``None`` when the
    grid does not suit. No box of a capsule is stored: the cells are taken from its segment, radius and
    margin, and :func:`plane_contacts` makes the box again from the segment it reads anyway.

    Parameters
    ----------
    primitives : tuple
        ``(cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r)``, C float64 arrays.
    owner : (N,) int64
        Per primitive [capsules | boxes | cylinders]: its object.
    margin : (objects,) float64, metres, finite, >= 0
        What the boxes of each object's primitives are enlarged by.

    Returns
    -------
    tuple ``(start, members, inv_edge, cx0, cy0, nby, shift, other_lo, other_hi)`` for :func:`plane_contacts`
    (``other_lo, other_hi``: the boxes of the primitives that are not capsules), or None.

    Raises
    ------
    ValueError
        A primitive array with a value that is not finite (named as
        :func:`vkls.geometry.kernels.primitive_aabbs` names it), or a box with ``lo > hi``.
    """
    from vkls.geometry import kernels

    cap_a, cap_b, cap_r = kernels._capsules(*primitives[:3], finite=False)  # C arrays of one length; finite below
    n_capsules, n = cap_r.shape[0], owner.shape[0]
    expected = n_capsules + len(primitives[3]) + len(primitives[6])
    if n != expected:
        raise ValueError(f"owner: expected one object per primitive ({expected}), got {n}")
    if n == 0:
        return None
    other_lo, other_hi = _other_boxes(primitives, owner, margin)
    sample = np.arange(min(n, _SAMPLE)) * n // min(n, _SAMPLE)  # the rows _edge would sample of all boxes
    lo, hi = _sample_boxes(cap_a, cap_b, cap_r, owner, margin, other_lo, other_hi, sample)
    inv_edge = 1.0 / _edge(lo, hi)
    ref_x, ref_y = _reference_cell(lo[0], inv_edge)  # the first primitive's box
    ranges = np.empty((n, 4), dtype=np.int32)
    extents = np.empty((2, 4))  # the capsules' and the other primitives'
    extents[:, :2], extents[:, 2:] = np.inf, -np.inf  # (none: an empty extent)
    *bad, disordered, x_lo, y_lo, x_hi, y_hi = _capsule_cell_ranges(cap_a, cap_b, cap_r, owner, margin, inv_edge,
                                                                     ref_x, ref_y, ranges)
    kernels.refuse_non_finite(("cap_a", "cap_b", "cap_r"), bad)
    if n_capsules:
        extents[0] = x_lo, y_lo, x_hi, y_hi
    if disordered or (n > n_capsules and not _cell_ranges(other_lo, other_hi, 0, n - n_capsules, inv_edge, ref_x,
                                                          ref_y, ranges[n_capsules:], extents[1])):
        raise ValueError("plane grid: lo and hi must be finite with lo <= hi")
    grid = _grid(ranges, extents, inv_edge, ref_x, ref_y, _parts(n))
    return None if grid is None else grid + (other_lo, other_hi)


@njit(cache=True)
def _sample_boxes(cap_a, cap_b, cap_r, owner, margin, other_lo, other_hi, sample):
    """``lo, hi (m, 3)``: the boxes of the primitives ``sample (m,)``, a capsule's made from its segment
    (values not finite are refused later, by the pass over every capsule)."""
    n_capsules = cap_a.shape[0]
    lo, hi = np.empty((sample.shape[0], 3)), np.empty((sample.shape[0], 3))
    for u in range(sample.shape[0]):
        i = sample[u]
        if i < n_capsules:
            grow = cap_r[i] + margin[owner[i]]
            for q in range(3):
                lo[u, q], hi[u, q] = _capsule_bounds(cap_a[i, q], cap_b[i, q], grow)
        else:
            for q in range(3):
                lo[u, q], hi[u, q] = other_lo[i - n_capsules, q], other_hi[i - n_capsules, q]
    return lo, hi


def _other_boxes(primitives: tuple, owner: np.ndarray, margin: np.ndarray):
    """``lo, hi`` (boxes + cylinders, 3) of the primitives that are not capsules, enlarged by their margins."""
    from vkls.geometry import kernels

    n_capsules, n_boxes = primitives[2].shape[0], primitives[3].shape[0]
    grow = np.take(margin, owner[n_capsules:])  # (no capsule kernel: a street's first check compiles less)
    box_lo, box_hi = kernels.box_aabbs(*primitives[3:6], grow[:n_boxes])
    cylinder_lo, cylinder_hi = kernels.cylinder_aabbs(*primitives[6:9], grow[n_boxes:])
    return np.concatenate([box_lo, cylinder_lo]), np.concatenate([box_hi, cylinder_hi])


def _parts(n: int) -> list:
    """Bounds of the parts that ``n`` boxes are measured, counted and filled in (two from 65,536 boxes on)."""
    n_parts = min(2 if n >= _PARALLEL_FILL_FROM else 1, numba.get_num_threads())
    return [k * n // n_parts for k in range(n_parts + 1)]


def _reference_cell(lo: np.ndarray, inv_edge: float) -> tuple:
    """The cell of the corner ``lo`` (3,): the cell ranges count from it (0 for a bound not finite, which
    the ranges' pass refuses)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return tuple(math.floor(w) if math.isfinite(w) else 0 for w in lo[:2] * inv_edge)


def _grid(ranges, extents, inv_edge, ref_x, ref_y, bounds):
    """``(start, members, inv_edge, cx0, cy0, nby, shift)`` of the grid over ``extents`` (parts, 4) filled with
    the cell ``ranges`` of the boxes (from the reference cell), or None when it would be too large."""
    cx0, cy0, nx, ny = _grid_size(extents, inv_edge, CELLS_PER_BOX * ranges.shape[0] + 65536)
    if nx == 0 or max(nx, ny) >= 1 << 31:  # the ranges from the reference cell fit in int32 within the grid
        return None
    shift = _block_shift(nx, ny)
    nbx, nby = (nx + (1 << shift) - 1) >> shift, (ny + (1 << shift) - 1) >> shift
    filled = _fill(ranges, cx0 - ref_x, cy0 - ref_y, nby, shift, (nbx * nby) << (2 * shift),
                   ENTRIES_PER_BOX * ranges.shape[0] + 1024, bounds)
    if filled is None:
        return None
    start, members = filled
    return start, members, inv_edge, cx0, cy0, nby, shift


def plane_contacts(cells, owner, group, kind, margin, spread, reach, slack, primitives, n_threads,
                   regime_reach=None, side_by_side_cos=None, paired=None):
    """Every pair of primitives within its limit distance, found in one pass over the cells of a plane grid.

    The same rows, bit for bit, as :func:`vkls.geometry.kernels.candidate_pairs` on the boxes
    (:func:`vkls.geometry.kernels.primitive_aabbs` with each primitive's object's ``margin``), then
    :func:`~vkls.geometry.kernels.pair_geometry` and
    :func:`~vkls.geometry.kernels.near_contacts` (with the same ``regime_reach``); but no
    candidate pair is stored, pairs of kinds no rule judges are never measured, and a pair is
    measured only when its boxes overlap within the pair's own limit (not the sum of both margins).

    Parameters
    ----------
    cells : tuple
        From :func:`primitive_cells` on the same ``primitives``, ``owner`` and ``margin``.
    owner : (N,) int64
        Per primitive: its object (the segments of one line are consecutive).
    group, kind : (objects,) int64
        Per object: its group (pairs within a group are skipped) and its kind code (a row and
        column of ``reach``).
    margin : (objects,) float64, metres
        What the boxes of each object's primitives are enlarged by, with
        ``margin_a + margin_b >= reach + spread_a + spread_b``.
    spread : (objects,) float64, metres
        Per object: its position uncertainty.
    reach : (K, K) float64, metres
        Per pair of kinds, the largest distance kept (NaN: none).
    slack : float, metres
        Added to every limit.
    primitives : tuple
        ``(cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r)``.
    n_threads : int
    regime_reach : (3, K, K) float64, metres, optional
        Per regime of two capsules (PARALLEL, CROSSING, STACKED; :mod:`vkls.geometry.regimes`), the
        largest distance kept; a pair of capsules is kept only within the reach of its regime too.
    side_by_side_cos : float, 0..1
        |cos| at and above which two capsules run side by side (required with ``regime_reach``).
    paired : (objects,) bool, optional
        The objects to pair at all (default: every object).

    Returns
    -------
    pairs : (p, 2) int64, ``i < j``, sorted lexicographically
    distance : (p,) ; witness_i, witness_j : (p, 3) ; abs_cos, horizontal, vertical : (p,)
        As :func:`vkls.geometry.kernels.near_contacts` returns them.
    """
    start, members, inv_edge, cx0, cy0, nby, shift, other_lo, other_hi = cells
    if regime_reach is None:  # the same reach in every regime: the regimes do not matter
        regime_reach, side_by_side_cos = np.repeat(reach[None], 3, axis=0), 1.0
    regime_reach, side_by_side_cos = regime_limits(regime_reach, len(reach), side_by_side_cos)
    paired = np.ones(len(kind), dtype=np.bool_) if paired is None else np.ascontiguousarray(paired, dtype=np.bool_)
    primitives = tuple(np.ascontiguousarray(x, dtype=np.float64) for x in primitives)
    return _contacts(start, members, other_lo, other_hi, owner, group, kind, margin, spread, reach, regime_reach,
                     side_by_side_cos, paired, float(slack), *primitives, inv_edge, cx0, cy0, nby, shift, n_threads)
