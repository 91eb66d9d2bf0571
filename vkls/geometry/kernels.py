"""Numba geometry kernels of vkls: bounding boxes, broad phase, narrow phase.

All kernels are pure functions on flat, C-contiguous ``float64``/``int64``
arrays (no Python objects), compiled with ``@njit(cache=True)`` and
``fastmath`` off so that NaN and signed zeros keep IEEE semantics. The
top-level loops over independent work use ``prange``.

Primitives (units: metres)
--------------------------
Capsules (cables and pipes as chains of segments)
    ``cap_a (n, 3)``, ``cap_b (n, 3)`` segment end points of the axis,
    ``cap_r (n,)`` radius. Zero-length segments (``a == b``, a sphere) and
    vertical segments are legal.
Oriented boxes (rack parts)
    ``box_c (m, 3)`` centre, ``box_h (m, 3)`` half extents (>= 0),
    ``box_axes (m, 3, 3)`` where ``box_axes[k, i]`` is the unit vector of local
    axis ``i`` (the three rows must be orthonormal).
Vertical cylinders (tree root zones), solid
    ``cyl_xy (k, 2)`` axis position, ``cyl_z (k, 2)`` = ``(z_bottom, z_top)``,
    ``cyl_r (k,)`` radius.

Mixed pair lists use one concatenated numbering ``[capsules | boxes |
cylinders]``: capsule ``i`` is ``i``, box ``k`` is ``n + k``, cylinder ``l`` is
``n + m + l``.

Sign convention: ``distance`` is the surface-to-surface distance; negative
means overlap. For capsule-capsule pairs it is exact (axis distance minus both
radii, so a negative value is the overlap depth along the axis-to-axis line).
For capsule-box and capsule-cylinder pairs whose capsule *axis* touches or
enters the solid, the axis distance is 0 and ``distance = -radius``; it is not
a penetration depth.

Touching policy: see :mod:`vkls.geometry.tolerances`. Kernels never round and
never apply the contact tolerance; they return float64 distances and the
rules compare.
"""

from __future__ import annotations

import math

import numpy as np
import numba
import numba.extending
from numba import njit, prange

from vkls.geometry.regimes import CROSSING, NOT_APPLICABLE, PARALLEL, STACKED
from vkls.geometry.tolerances import (
    AABB_ROUNDING_PAD_RELATIVE,
    CYLINDER_SEARCH_T_TOLERANCE,
    DEGENERATE_LENGTH_SQUARED,
    PARALLEL_SIN2,
)

__all__ = [
    "capsule_aabbs",
    "box_aabbs",
    "cylinder_aabbs",
    "primitive_aabbs",
    "candidate_pairs",
    "capsule_capsule_geometry",
    "capsule_box_geometry",
    "capsule_cylinder_geometry",
    "pair_geometry",
    "separation_components",
    "closest_points_segment_segment",
]

# Golden-section search: 1/phi and the fixed number of iterations that shrink
# [0, 1] below CYLINDER_SEARCH_T_TOLERANCE (0.618^58 = 7.6e-13).
_INV_PHI = (math.sqrt(5.0) - 1.0) / 2.0
_GOLDEN_ITERATIONS = int(math.ceil(math.log(CYLINDER_SEARCH_T_TOLERANCE) / math.log(_INV_PHI)))

_EMPTY_PAIRS = np.empty((0, 2), dtype=np.int64)

# --------------------------------------------------------------------------- #
# Small vector helpers on 3-tuples (inlined by LLVM; no allocation).          #
# --------------------------------------------------------------------------- #


@njit(cache=True, inline="always")
def _dot(u, v):
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


@njit(cache=True, inline="always")
def _sub(u, v):
    return (u[0] - v[0], u[1] - v[1], u[2] - v[2])


@njit(cache=True, inline="always")
def _axpy(s, d, p):
    """``p + s * d``."""
    return (p[0] + s * d[0], p[1] + s * d[1], p[2] + s * d[2])


@njit(cache=True, inline="always")
def _clamp01(x):
    if x < 0.0:
        return 0.0
    if x > 1.0:
        return 1.0
    return x


@njit(cache=True, inline="always")
def _row(arr, i):
    return (arr[i, 0], arr[i, 1], arr[i, 2])


@numba.extending.intrinsic
def prefetch_row(typingctx, array, row):
    """Ask the CPU to start loading row ``row`` of a C-contiguous array into the cache (``llvm.prefetch``:
    a read, kept in every cache level); a hint only, with no effect on any result.

    A scan that will read rows in an order the hardware cannot guess (the members of the next grid
    cells) calls this some rows ahead, so that their memory arrives while it works on the rows before.
    """
    if not (isinstance(array, numba.types.Array) and array.layout == "C" and isinstance(row, numba.types.Integer)):
        return None  # numba then reports that no signature matches

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        from numba.core import cgutils

        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        first_index = context.cast(builder, args[1], signature.args[1], numba.types.intp)
        first = [first_index] + [ir.Constant(first_index.type, 0)] * (array_type.ndim - 1)
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, first, wraparound=False,
                                           boundscheck=False)
        byte_pointer = ir.PointerType(ir.IntType(8))
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32]), "llvm.prefetch.p0")
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(function, [builder.bitcast(pointer, byte_pointer), ir.Constant(i32, 0), ir.Constant(i32, 3),
                                ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return numba.types.void(array, row), codegen


# --------------------------------------------------------------------------- #
# Segment-segment closest points.                                             #
# --------------------------------------------------------------------------- #


@njit(cache=True)
def _closest_params_segment_segment(d1, d2, r):
    """Parameters ``(s, t)`` of the closest points of two segments.

    Ericson, *Real-Time Collision Detection* (2005), 5.1.9
    ``ClosestPtSegmentSegment``, with Ericson's variable names: the segments
    are ``S1(s) = P1 + s*d1`` and ``S2(t) = P2 + t*d2``, ``s, t in [0, 1]``,
    and ``r = P1 - P2``. Degenerate cases:

    - both segments shorter than ``sqrt(DEGENERATE_LENGTH_SQUARED)``:
      ``s = t = 0`` (point-point);
    - one degenerate: the point is projected onto the other segment;
    - parallel (``sin^2(angle) <= PARALLEL_SIN2``): Ericson picks an arbitrary
      ``s = 0``; here ``s`` is the *middle of the overlap* of the two
      segments' projections onto ``S1``, or the end of ``S1`` nearest to
      ``S2`` when the projections are disjoint, and ``t`` the projection of
      ``S1(s)`` onto ``S2``. For exactly parallel segments this is a true
      closest pair; for nearly parallel ones the distance is off by at most
      ``sqrt(PARALLEL_SIN2)`` times the overlap length (1e-6 per metre).

    Parameters
    ----------
    d1, d2 : 3-tuple of float64, metres
        Segment direction vectors ``Q1 - P1`` and ``Q2 - P2``.
    r : 3-tuple of float64, metres
        ``P1 - P2``.

    Returns
    -------
    s, t : float64
        Parameters in ``[0, 1]``; the closest vector is ``r + s*d1 - t*d2``.
    """
    a = _dot(d1, d1)
    e = _dot(d2, d2)
    f = _dot(d2, r)
    if a <= DEGENERATE_LENGTH_SQUARED and e <= DEGENERATE_LENGTH_SQUARED:
        return 0.0, 0.0
    if a <= DEGENERATE_LENGTH_SQUARED:
        return 0.0, _clamp01(f / e)
    c = _dot(d1, r)
    if e <= DEGENERATE_LENGTH_SQUARED:
        return _clamp01(-c / a), 0.0
    b = _dot(d1, d2)
    denom = a * e - b * b
    if denom <= PARALLEL_SIN2 * a * e:
        # Parallel: parameters on S1 of the projections of P2 and Q2.
        s_p2 = -c / a
        s_q2 = (b - c) / a
        lo = max(0.0, min(s_p2, s_q2))
        hi = min(1.0, max(s_p2, s_q2))
        if lo <= hi:
            s = 0.5 * (lo + hi)
        elif max(s_p2, s_q2) < 0.0:
            s = 0.0
        else:
            s = 1.0
        return s, _clamp01((b * s + f) / e)
    s = _clamp01((b * f - c * e) / denom)
    t = (b * s + f) / e
    if t < 0.0:
        t = 0.0
        s = _clamp01(-c / a)
    elif t > 1.0:
        t = 1.0
        s = _clamp01((b - c) / a)
    return s, t


@njit(cache=True, inline="always")
def _segment_less(a1, b1, r1, a2, b2, r2):
    """Strict lexicographic order on ``(a, b, r)`` of two capsules."""
    for k in range(3):
        if a1[k] != a2[k]:
            return a1[k] < a2[k]
    for k in range(3):
        if b1[k] != b2[k]:
            return b1[k] < b2[k]
    return r1 < r2


@njit(cache=True, inline="always")
def _axes_abs_cos(d1, d2):
    """``|cos|`` of the angle between two axis vectors (3-tuples); 0.0 if either is degenerate. The
    same either way round, bit for bit."""
    aa = _dot(d1, d1)
    ee = _dot(d2, d2)
    if aa <= DEGENERATE_LENGTH_SQUARED or ee <= DEGENERATE_LENGTH_SQUARED:
        return 0.0
    return min(1.0, abs(_dot(d1, d2)) / math.sqrt(aa * ee))


@njit(cache=True)
def _capsule_capsule(a1, b1, r1, a2, b2, r2):
    """Closest points, surface distance and |cos| of two capsules.

    Canonicalised so that swapping the arguments swaps the witnesses and
    leaves everything else bit-for-bit identical: the routine always runs with
    the lexicographically smaller capsule ``(a, b, r)`` as ``S1``.

    Returns
    -------
    distance : float64
        ``|p - q| - (r1 + r2)``, metres.
    p, q : 3-tuples
        Closest points on the axes of capsule 1 and 2.
    abs_cos : float64
        ``|cos|`` of the angle between the axes; 0.0 if either is degenerate.
    """
    swap = _segment_less(a2, b2, r2, a1, b1, r1)
    if swap:
        p1, q1, p2, q2 = a2, b2, a1, b1
    else:
        p1, q1, p2, q2 = a1, b1, a2, b2
    d1 = _sub(q1, p1)
    d2 = _sub(q2, p2)
    r = _sub(p1, p2)
    s, t = _closest_params_segment_segment(d1, d2, r)
    # Distance from the difference vector (exact for nearby RD coordinates).
    v = (r[0] + s * d1[0] - t * d2[0], r[1] + s * d1[1] - t * d2[1], r[2] + s * d1[2] - t * d2[2])
    dist = math.sqrt(_dot(v, v)) - (r1 + r2)
    c1 = _axpy(s, d1, p1)
    c2 = _axpy(t, d2, p2)
    abs_cos = _axes_abs_cos(d1, d2)
    if swap:
        return dist, c2, c1, abs_cos
    return dist, c1, c2, abs_cos


@njit(cache=True, inline="always")
def _lines_farther(a1, b1, r1, a2, b2, r2, limit):
    """True when two capsules (axes ``a-b`` as 3-tuples, radii ``r``) are certainly more than ``limit``
    apart, surface to surface: the distance between their axes' infinite lines, a lower bound of the
    segments' distance, already exceeds it. A cheap test that rejects most crossings (a house
    connection passing over a main) before the exact closest points; never true for (nearly)
    parallel axes."""
    d1 = _sub(b1, a1)
    d2 = _sub(b2, a2)
    nx, ny, nz = d1[1] * d2[2] - d1[2] * d2[1], d1[2] * d2[0] - d1[0] * d2[2], d1[0] * d2[1] - d1[1] * d2[0]
    n2 = nx * nx + ny * ny + nz * nz
    if not n2 > 1e-6 * _dot(d1, d1) * _dot(d2, d2):
        return False
    across = (a1[0] - a2[0]) * nx + (a1[1] - a2[1]) * ny + (a1[2] - a2[2]) * nz
    reach = limit + r1 + r2
    return reach >= 0.0 and across * across > reach * reach * n2 * (1.0 + 1e-9)


# --------------------------------------------------------------------------- #
# Segment - oriented box.                                                     #
# --------------------------------------------------------------------------- #


@njit(cache=True, inline="always")
def _place(k, vk, vu, vw):
    """3-tuple with ``vk`` on axis ``k``, ``vu`` on ``(k+1)%3``, ``vw`` on ``(k+2)%3``."""
    if k == 0:
        return (vk, vu, vw)
    if k == 1:
        return (vw, vk, vu)
    return (vu, vw, vk)


@njit(cache=True)
def _capsule_box(a, b, rad, c, h, ax0, ax1, ax2):
    """Exact distance from a capsule to a solid oriented box.

    The segment is expressed in the box frame, where the box is the
    axis-aligned ``[-h, h]``. Then:

    1. slab test (Ericson 5.3.3 ``IntersectSegmentAABB``, closed box,
       parameter range [0, 1]): if the segment meets the box the axis
       distance is 0; the witness (on both sides) is the middle of the part
       of the segment inside the box;
    2. otherwise the minimum over the two end points' clamped point-box
       distances (Ericson 5.1.3) and the 12 box edges against the segment
       (:func:`_closest_params_segment_segment`). For a segment disjoint from
       a convex polyhedron a closest pair always has an end point of the
       segment, or a point of a box edge, as one of its points (if the box
       point is interior to a face the segment is parallel to that face and
       the constant distance extends to an end point or to an edge), so the
       minimum is exact.

    Returns
    -------
    distance : float64
        Axis-to-box distance minus ``rad``, metres.
    p, q : 3-tuples
        Witness on the capsule axis and on the box surface (world frame).
    """
    # Local coordinates relative to the box centre.
    wa = _sub(a, c)
    wb = _sub(b, c)
    pa = (_dot(wa, ax0), _dot(wa, ax1), _dot(wa, ax2))
    pb = (_dot(wb, ax0), _dot(wb, ax1), _dot(wb, ax2))
    d = _sub(pb, pa)

    tmin = 0.0
    tmax = 1.0
    hit = True
    for k in range(3):
        if d[k] == 0.0:
            if pa[k] < -h[k] or pa[k] > h[k]:
                hit = False
                break
        else:
            t1 = (-h[k] - pa[k]) / d[k]
            t2 = (h[k] - pa[k]) / d[k]
            if t1 > t2:
                t1, t2 = t2, t1
            if t1 > tmin:
                tmin = t1
            if t2 < tmax:
                tmax = t2
            if tmin > tmax:
                hit = False
                break
    if hit:
        tm = 0.5 * (tmin + tmax)
        ps = _axpy(tm, d, pa)
        pw = _local_to_world(ps, c, ax0, ax1, ax2)
        return -rad, pw, pw

    # The 12 edges: direction along axis k, at (+-h_u, +-h_w). Edges along the
    # axis most parallel to the segment go first so that, on ties, a parallel
    # edge gives the middle of the overlap as witness (strict < keeps the
    # first minimum).
    best = np.inf
    bs = pa
    bq = pa
    k_first = 0
    if abs(d[1]) > abs(d[k_first]):
        k_first = 1
    if abs(d[2]) > abs(d[k_first]):
        k_first = 2
    for kk in range(3):
        k = (k_first + kk) % 3
        hk = h[k]
        hu = h[(k + 1) % 3]
        hw = h[(k + 2) % 3]
        e_dir = _place(k, 2.0 * hk, 0.0, 0.0)
        for iu in range(2):
            su = hu if iu == 1 else -hu
            for iw in range(2):
                sw = hw if iw == 1 else -hw
                e0 = _place(k, -hk, su, sw)
                r = _sub(pa, e0)
                s, t = _closest_params_segment_segment(d, e_dir, r)
                v = (
                    r[0] + s * d[0] - t * e_dir[0],
                    r[1] + s * d[1] - t * e_dir[1],
                    r[2] + s * d[2] - t * e_dir[2],
                )
                d2 = _dot(v, v)
                if d2 < best:
                    best = d2
                    bs = _axpy(s, d, pa)
                    bq = _axpy(t, e_dir, e0)
    # End points clamped onto the box (Ericson 5.1.3 ClosestPtPointAABB).
    qa = (min(max(pa[0], -h[0]), h[0]), min(max(pa[1], -h[1]), h[1]), min(max(pa[2], -h[2]), h[2]))
    va = _sub(pa, qa)
    d2 = _dot(va, va)
    if d2 < best:
        best = d2
        bs = pa
        bq = qa
    qb = (min(max(pb[0], -h[0]), h[0]), min(max(pb[1], -h[1]), h[1]), min(max(pb[2], -h[2]), h[2]))
    vb = _sub(pb, qb)
    d2 = _dot(vb, vb)
    if d2 < best:
        best = d2
        bs = pb
        bq = qb
    return (
        math.sqrt(best) - rad,
        _local_to_world(bs, c, ax0, ax1, ax2),
        _local_to_world(bq, c, ax0, ax1, ax2),
    )


@njit(cache=True, inline="always")
def _local_to_world(p, c, ax0, ax1, ax2):
    return (
        c[0] + p[0] * ax0[0] + p[1] * ax1[0] + p[2] * ax2[0],
        c[1] + p[0] * ax0[1] + p[1] * ax1[1] + p[2] * ax2[1],
        c[2] + p[0] * ax0[2] + p[1] * ax1[2] + p[2] * ax2[2],
    )


# --------------------------------------------------------------------------- #
# Segment - solid vertical cylinder.                                          #
# --------------------------------------------------------------------------- #


@njit(cache=True, inline="always")
def _cyl_dist2(px, py, pz, R, z0, z1):
    """Squared distance from a point (relative to the axis) to the solid cylinder.

    The cylinder is the product of a disk and an interval in orthogonal
    subspaces, so the squared distance is the sum of the squared distances
    to each: ``max(rho - R, 0)^2 + max(z0 - z, z - z1, 0)^2``.
    """
    hd = math.sqrt(px * px + py * py) - R
    if hd < 0.0:
        hd = 0.0
    vd = 0.0
    if pz < z0:
        vd = z0 - pz
    elif pz > z1:
        vd = pz - z1
    return hd * hd + vd * vd


@njit(cache=True)
def _capsule_cylinder(a, b, rad, cx, cy, z0, z1, R):
    """Distance from a capsule to a solid vertical cylinder, with witnesses.

    Work relative to the axis ``(cx, cy)``. ``P(t) = A + t*D``, ``t in [0, 1]``.

    1. Intersection (exact): clip the segment to the slab ``z0 <= z <= z1``,
       then take the point of the clipped part nearest to the axis in plan
       (closed-form 2D point-segment projection). If it is within ``R`` the
       axis distance is 0; that point is the witness on both sides.
    2. Otherwise ``f(t) = dist(P(t), cylinder)`` is convex in ``t`` (distance
       to a convex set along a line). Closed forms: a horizontal segment
       (``f`` depends only on the plan distance, minimised by the 2D
       projection) and a vertical or zero-length one (``f`` depends only on
       the height, minimised by clamping). The general case uses a
       golden-section search with a fixed number of iterations
       (``CYLINDER_SEARCH_T_TOLERANCE`` on ``t``; distance error at most that
       times the segment length) and then keeps the best of it and both end
       points.

    Returns
    -------
    distance : float64
        Axis-to-cylinder distance minus ``rad``, metres.
    p, q : 3-tuples
        Witness on the capsule axis and on the cylinder surface (world).
    abs_cos : float64
        ``|cos|`` of the angle between the capsule axis and the vertical
        cylinder axis (0.0 for a zero-length segment).
    """
    ax = a[0] - cx
    ay = a[1] - cy
    az = a[2]
    dx = b[0] - a[0]
    dy = b[1] - a[1]
    dz = b[2] - a[2]
    dxy2 = dx * dx + dy * dy
    dd = dxy2 + dz * dz
    if dd <= DEGENERATE_LENGTH_SQUARED:
        abs_cos = 0.0
    else:
        abs_cos = min(1.0, abs(dz) / math.sqrt(dd))

    # 1. Part of the segment inside the slab z0 <= z <= z1.
    in_slab = True
    tl = 0.0
    th = 1.0
    if dz == 0.0:
        in_slab = z0 <= az <= z1
    else:
        t1 = (z0 - az) / dz
        t2 = (z1 - az) / dz
        if t1 > t2:
            t1, t2 = t2, t1
        tl = max(tl, t1)
        th = min(th, t2)
        in_slab = tl <= th
    if in_slab:
        if dxy2 <= DEGENERATE_LENGTH_SQUARED:
            ts = 0.5 * (tl + th)
        else:
            ts = -(ax * dx + ay * dy) / dxy2
            ts = min(max(ts, tl), th)
        px = ax + ts * dx
        py = ay + ts * dy
        if px * px + py * py <= R * R:
            p = (a[0] + ts * dx, a[1] + ts * dy, a[2] + ts * dz)
            return -rad, p, p, abs_cos

    # 2. Disjoint: minimise the convex f(t).
    if dd <= DEGENERATE_LENGTH_SQUARED:
        t = 0.0
    elif dz == 0.0:
        # Horizontal: height distance constant, minimise plan distance.
        t = _clamp01(-(ax * dx + ay * dy) / dxy2)
    elif dxy2 <= DEGENERATE_LENGTH_SQUARED:
        # Vertical: plan distance constant, minimise height distance: the
        # middle of the part inside the slab, else the end nearest to it.
        if in_slab:
            t = 0.5 * (tl + th)
        elif (az > z1) == (dz < 0.0):
            t = 1.0
        else:
            t = 0.0
    else:
        lo = 0.0
        hi = 1.0
        x1 = hi - _INV_PHI * (hi - lo)
        x2 = lo + _INV_PHI * (hi - lo)
        f1 = _cyl_dist2(ax + x1 * dx, ay + x1 * dy, az + x1 * dz, R, z0, z1)
        f2 = _cyl_dist2(ax + x2 * dx, ay + x2 * dy, az + x2 * dz, R, z0, z1)
        for _ in range(_GOLDEN_ITERATIONS):
            if f1 <= f2:
                hi = x2
                x2 = x1
                f2 = f1
                x1 = hi - _INV_PHI * (hi - lo)
                f1 = _cyl_dist2(ax + x1 * dx, ay + x1 * dy, az + x1 * dz, R, z0, z1)
            else:
                lo = x1
                x1 = x2
                f1 = f2
                x2 = lo + _INV_PHI * (hi - lo)
                f2 = _cyl_dist2(ax + x2 * dx, ay + x2 * dy, az + x2 * dz, R, z0, z1)
        t = 0.5 * (lo + hi)
        ft = _cyl_dist2(ax + t * dx, ay + t * dy, az + t * dz, R, z0, z1)
        f0 = _cyl_dist2(ax, ay, az, R, z0, z1)
        if f0 <= ft:
            t = 0.0
            ft = f0
        fe = _cyl_dist2(ax + dx, ay + dy, az + dz, R, z0, z1)
        if fe < ft:
            t = 1.0
    if t == 1.0:
        px, py, pz = b[0] - cx, b[1] - cy, b[2]
    else:
        px, py, pz = ax + t * dx, ay + t * dy, az + t * dz
    d2 = _cyl_dist2(px, py, pz, R, z0, z1)
    # Closest point of the solid cylinder.
    rho = math.sqrt(px * px + py * py)
    if rho > R:
        qx = px * (R / rho)
        qy = py * (R / rho)
    else:
        qx = px
        qy = py
    qz = min(max(pz, z0), z1)
    p = (px + cx, py + cy, pz)
    q = (qx + cx, qy + cy, qz)
    return math.sqrt(d2) - rad, p, q, abs_cos


# --------------------------------------------------------------------------- #
# Bounding boxes.                                                             #
# --------------------------------------------------------------------------- #


@njit(cache=True, inline="always")
def _pad_lo(x):
    return x - AABB_ROUNDING_PAD_RELATIVE * max(1.0, abs(x))


@njit(cache=True, inline="always")
def _pad_hi(x):
    return x + AABB_ROUNDING_PAD_RELATIVE * max(1.0, abs(x))


@njit(cache=True, inline="always")
def _capsule_bounds(x, y, grow):
    """Lower and upper bound of a capsule's box along one axis: its end points' ``x``, ``y`` and
    ``grow`` = radius + margin, rounded outwards (every capsule box is made by this)."""
    return _pad_lo(min(x, y) - grow), _pad_hi(max(x, y) + grow)


@njit(cache=True, parallel=True)
def _capsule_aabbs_into(a, b, r, margin, lo, hi):
    """Fill ``lo, hi`` and return how many values of ``a``, ``b`` and ``r`` are not finite, and how many
    margins are not finite or negative (the input checks in the same pass over the capsules; the
    boxes are void where a count is not 0)."""
    bad_a, bad_b, bad_r, bad_margin, negative_margin = 0, 0, 0, 0, 0
    for i in prange(a.shape[0]):
        e = r[i] + margin[i]
        bad_r += not math.isfinite(r[i])
        bad_margin += not math.isfinite(margin[i])
        negative_margin += margin[i] < 0.0
        for k in range(3):
            bad_a += not math.isfinite(a[i, k])
            bad_b += not math.isfinite(b[i, k])
            lo[i, k], hi[i, k] = _capsule_bounds(a[i, k], b[i, k], e)
    return bad_a, bad_b, bad_r, bad_margin, negative_margin


def _capsule_aabbs_checked(a, b, r, margin, lo, hi):
    """:func:`_capsule_aabbs_into`, then ValueError naming the first array with a value that is not finite
    (or a negative margin)."""
    bad_a, bad_b, bad_r, bad_margin, negative_margin = _capsule_aabbs_into(a, b, r, margin, lo, hi)
    refuse_non_finite(("margin",), (bad_margin,))
    if negative_margin:
        raise ValueError("margin: must be >= 0")
    refuse_non_finite(("cap_a", "cap_b", "cap_r"), (bad_a, bad_b, bad_r))


def refuse_non_finite(names, counts) -> None:
    """ValueError naming the first array of ``names`` whose count of values not finite (``counts``, from
    the kernel that read them) is not 0."""
    for name, count in zip(names, counts):
        if count:
            raise ValueError(f"{name}: contains NaN or infinite values")


@njit(cache=True, parallel=True)
def _box_aabbs_into(c, h, axes, margin, lo, hi):
    for i in prange(c.shape[0]):
        for k in range(3):
            ext = (
                abs(axes[i, 0, k]) * h[i, 0]
                + abs(axes[i, 1, k]) * h[i, 1]
                + abs(axes[i, 2, k]) * h[i, 2]
                + margin[i]
            )
            lo[i, k] = _pad_lo(c[i, k] - ext)
            hi[i, k] = _pad_hi(c[i, k] + ext)


@njit(cache=True, parallel=True)
def _cylinder_aabbs_into(xy, z, r, margin, lo, hi):
    for i in prange(xy.shape[0]):
        e = r[i] + margin[i]
        lo[i, 0] = _pad_lo(xy[i, 0] - e)
        hi[i, 0] = _pad_hi(xy[i, 0] + e)
        lo[i, 1] = _pad_lo(xy[i, 1] - e)
        hi[i, 1] = _pad_hi(xy[i, 1] + e)
        lo[i, 2] = _pad_lo(z[i, 0] - margin[i])
        hi[i, 2] = _pad_hi(z[i, 1] + margin[i])


def _aabbs(fill, *arrays):
    """``lo, hi`` (n, 3) of the primitives in ``arrays`` made by the kernel ``fill``."""
    n = arrays[0].shape[0]
    lo, hi = np.empty((n, 3)), np.empty((n, 3))
    fill(*arrays, lo, hi)
    return lo, hi


# --------------------------------------------------------------------------- #
# Input validation (plain Python).                                            #
# --------------------------------------------------------------------------- #


def _f64(x, shape, name, finite=True):
    """``x`` as a C float64 array of ``shape`` (None: any length), or ValueError; with ``finite``, also
    refused when a value is NaN or infinite (without: the caller checks that in its own pass)."""
    arr = np.ascontiguousarray(x, dtype=np.float64)
    if arr.ndim != len(shape):
        raise ValueError(f"{name}: expected {len(shape)} dimensions, got shape {arr.shape}")
    for got, want in zip(arr.shape, shape):
        if want is not None and got != want:
            raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    if finite and arr.size and _count_non_finite(arr.reshape(-1)) > 0:
        raise ValueError(f"{name}: contains NaN or infinite values")
    return arr


@njit(cache=True)
def _count_non_finite(flat):
    # Serial on purpose: memory-bound and cheap; a parallel region here costs
    # more in thread hand-over than it saves, especially on a busy machine.
    bad = 0
    for i in range(flat.shape[0]):
        if not math.isfinite(flat[i]):
            bad += 1
    return bad


@njit(cache=True)
def _index_range(pairs):
    """Min and max of a (p, 2) int64 array per column: ``(min0, max0, min1, max1)``."""
    n_chunks = 64
    m = pairs.shape[0]
    res = np.empty((n_chunks, 4), dtype=np.int64)
    for ch in range(n_chunks):
        a0 = np.iinfo(np.int64).max
        b0 = np.iinfo(np.int64).min
        a1 = a0
        b1 = b0
        for w in range(ch * m // n_chunks, (ch + 1) * m // n_chunks):
            x = pairs[w, 0]
            y = pairs[w, 1]
            a0 = min(a0, x)
            b0 = max(b0, x)
            a1 = min(a1, y)
            b1 = max(b1, y)
        res[ch, 0] = a0
        res[ch, 1] = b0
        res[ch, 2] = a1
        res[ch, 3] = b1
    return res[:, 0].min(), res[:, 1].max(), res[:, 2].min(), res[:, 3].max()


def _i64(x, shape, name):
    arr = np.asarray(x)
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected integers, got {arr.dtype}")
    arr = np.ascontiguousarray(arr, dtype=np.int64)
    if arr.ndim == 1 and len(shape) == 2 and arr.size == 0:
        arr = arr.reshape(0, shape[1])
    if arr.ndim != len(shape):
        raise ValueError(f"{name}: expected {len(shape)} dimensions, got shape {arr.shape}")
    for got, want in zip(arr.shape, shape):
        if want is not None and got != want:
            raise ValueError(f"{name}: expected shape {shape}, got {arr.shape}")
    return arr


def _margin(margin, n, checked=True):
    """``margin`` (scalar or (n,)) as a C float64 (n,) array; with ``checked``, refused when a value is not
    finite or negative (without: the capsule kernel checks it in its own pass)."""
    m = _f64(np.broadcast_to(np.asarray(margin, dtype=np.float64), (n,)), (n,), "margin", checked)
    if checked and (m < 0).any():
        raise ValueError("margin: must be >= 0")
    return m


def _capsules(a, b, r, finite=True):
    a = _f64(a, (None, 3), "cap_a", finite)
    n = a.shape[0]
    return a, _f64(b, (n, 3), "cap_b", finite), _f64(r, (n,), "cap_r", finite)


def _boxes(c, h, axes):
    c = _f64(c, (None, 3), "box_c")
    m = c.shape[0]
    return c, _f64(h, (m, 3), "box_h"), _f64(axes, (m, 3, 3), "box_axes")


def _cylinders(xy, z, r):
    xy = _f64(xy, (None, 2), "cyl_xy")
    k = xy.shape[0]
    return xy, _f64(z, (k, 2), "cyl_z"), _f64(r, (k,), "cyl_r")


# --------------------------------------------------------------------------- #
# Public: bounding boxes.                                                     #
# --------------------------------------------------------------------------- #


def capsule_aabbs(cap_a, cap_b, cap_r, margin):
    """Axis-aligned bounding boxes of capsules, enlarged by a margin.

    Parameters
    ----------
    cap_a, cap_b : (n, 3) float64, metres
        Segment end points.
    cap_r : (n,) float64, metres
        Radii.
    margin : (n,) float64 or scalar, metres
        Extra enlargement per primitive (half the largest clearance any rule
        could require for it), so that two enlarged boxes overlap for every
        pair whose surface distance is ``<= margin_i + margin_j``.

    Returns
    -------
    lo, hi : (n, 3) float64, metres
        Box corners, rounded outwards by ``AABB_ROUNDING_PAD_RELATIVE``.
    """
    a, b, r = _capsules(cap_a, cap_b, cap_r, finite=False)  # checked by the kernel
    return _aabbs(_capsule_aabbs_checked, a, b, r, _margin(margin, a.shape[0], checked=False))


def box_aabbs(box_c, box_h, box_axes, margin):
    """Axis-aligned bounding boxes of oriented boxes, enlarged by a margin.

    Parameters
    ----------
    box_c : (m, 3) float64, metres
    box_h : (m, 3) float64, metres
    box_axes : (m, 3, 3) float64, unit vectors (rows are the local axes)
    margin : (m,) float64 or scalar, metres

    Returns
    -------
    lo, hi : (m, 3) float64, metres
    """
    c, h, axes = _boxes(box_c, box_h, box_axes)
    return _aabbs(_box_aabbs_into, c, h, axes, _margin(margin, c.shape[0]))


def cylinder_aabbs(cyl_xy, cyl_z, cyl_r, margin):
    """Axis-aligned bounding boxes of vertical cylinders, enlarged by a margin.

    Parameters
    ----------
    cyl_xy : (k, 2) float64, metres
    cyl_z : (k, 2) float64, metres, ``(z_bottom, z_top)``
    cyl_r : (k,) float64, metres
    margin : (k,) float64 or scalar, metres

    Returns
    -------
    lo, hi : (k, 3) float64, metres
    """
    xy, z, r = _cylinders(cyl_xy, cyl_z, cyl_r)
    return _aabbs(_cylinder_aabbs_into, xy, z, r, _margin(margin, xy.shape[0]))


def primitive_aabbs(cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r, margin):
    """Enlarged AABBs of all primitives in the concatenated numbering.

    Parameters
    ----------
    cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r
        The scene's primitive arrays (see module docstring); empty arrays of
        the right trailing shape are allowed.
    margin : (n + m + k,) float64, metres
        Per-primitive margin in the order ``[capsules | boxes | cylinders]``.

    Returns
    -------
    lo, hi : (n + m + k, 3) float64, metres
    """
    a, b, r = _capsules(cap_a, cap_b, cap_r, finite=False)  # checked by the kernel
    c, h, axes = _boxes(box_c, box_h, box_axes)
    xy, z, cr = _cylinders(cyl_xy, cyl_z, cyl_r)
    n, m, k = a.shape[0], c.shape[0], xy.shape[0]
    mg = _margin(margin, n + m + k, checked=False)
    _margin(mg[n:], m + k)  # the capsules' margins are checked by their kernel
    lo, hi = np.empty((n + m + k, 3)), np.empty((n + m + k, 3))
    _capsule_aabbs_checked(a, b, r, mg[:n], lo[:n], hi[:n])
    _box_aabbs_into(c, h, axes, mg[n: n + m], lo[n: n + m], hi[n: n + m])
    _cylinder_aabbs_into(xy, z, cr, mg[n + m:], lo[n + m:], hi[n + m:])
    return lo, hi


# --------------------------------------------------------------------------- #
# Narrow phase drivers.                                                       #
# --------------------------------------------------------------------------- #

_KIND_CAPSULE = 0
_KIND_BOX = 1
_KIND_CYLINDER = 2


@njit(cache=True, inline="always")
def _put(out, p, v):
    out[p, 0] = v[0]
    out[p, 1] = v[1]
    out[p, 2] = v[2]


@njit(cache=True, inline="always")
def _capsule_box_at(i, k, cap_a, cap_b, cap_r, box_c, box_h, box_axes):
    return _capsule_box(
        _row(cap_a, i),
        _row(cap_b, i),
        cap_r[i],
        _row(box_c, k),
        _row(box_h, k),
        (box_axes[k, 0, 0], box_axes[k, 0, 1], box_axes[k, 0, 2]),
        (box_axes[k, 1, 0], box_axes[k, 1, 1], box_axes[k, 1, 2]),
        (box_axes[k, 2, 0], box_axes[k, 2, 1], box_axes[k, 2, 2]),
    )


@njit(cache=True, inline="always")
def _capsule_cylinder_at(i, k, cap_a, cap_b, cap_r, cyl_xy, cyl_z, cyl_r):
    return _capsule_cylinder(
        _row(cap_a, i), _row(cap_b, i), cap_r[i], cyl_xy[k, 0], cyl_xy[k, 1], cyl_z[k, 0], cyl_z[k, 1], cyl_r[k]
    )


@njit(cache=True, inline="always")
def _geometry_at(i, j, cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r):
    """Surface distance, witnesses (on ``i``, on ``j``) and |cos| of primitives ``i`` and ``j`` in the
    numbering [capsules | boxes | cylinders]; ``inf`` and NaN witnesses for a pair without a capsule."""
    n_cap = cap_a.shape[0]
    n_box = box_c.shape[0]
    swap = False
    ki = _KIND_CAPSULE if i < n_cap else (_KIND_BOX if i < n_cap + n_box else _KIND_CYLINDER)
    kj = _KIND_CAPSULE if j < n_cap else (_KIND_BOX if j < n_cap + n_box else _KIND_CYLINDER)
    if ki > kj:
        i, j = j, i
        ki, kj = kj, ki
        swap = True
    if ki == _KIND_CAPSULE and kj == _KIND_CAPSULE:
        d, c1, c2, ac = _capsule_capsule(
            _row(cap_a, i), _row(cap_b, i), cap_r[i], _row(cap_a, j), _row(cap_b, j), cap_r[j]
        )
    elif ki == _KIND_CAPSULE and kj == _KIND_BOX:
        d, c1, c2 = _capsule_box_at(i, j - n_cap, cap_a, cap_b, cap_r, box_c, box_h, box_axes)
        ac = 0.0
    elif ki == _KIND_CAPSULE and kj == _KIND_CYLINDER:
        d, c1, c2, ac = _capsule_cylinder_at(i, j - n_cap - n_box, cap_a, cap_b, cap_r, cyl_xy, cyl_z, cyl_r)
    else:
        d = np.inf
        c1 = (np.nan, np.nan, np.nan)
        c2 = c1
        ac = 0.0
    if swap:
        return d, c2, c1, ac
    return d, c1, c2, ac


@njit(cache=True, parallel=True)
def _pair_geometry(pairs, cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r):
    n_pairs = pairs.shape[0]
    dist = np.empty(n_pairs, dtype=np.float64)
    wi = np.empty((n_pairs, 3), dtype=np.float64)
    wj = np.empty((n_pairs, 3), dtype=np.float64)
    abs_cos = np.empty(n_pairs, dtype=np.float64)
    for p in prange(n_pairs):
        d, c1, c2, ac = _geometry_at(pairs[p, 0], pairs[p, 1], cap_a, cap_b, cap_r, box_c, box_h, box_axes,
                                     cyl_xy, cyl_z, cyl_r)
        dist[p] = d
        abs_cos[p] = ac
        _put(wi, p, c1)
        _put(wj, p, c2)
    return dist, wi, wj, abs_cos


@njit(cache=True, parallel=True)
def _capsule_capsule_geometry(pairs, a, b, r):
    n_pairs = pairs.shape[0]
    dist = np.empty(n_pairs, dtype=np.float64)
    wi = np.empty((n_pairs, 3), dtype=np.float64)
    wj = np.empty((n_pairs, 3), dtype=np.float64)
    abs_cos = np.empty(n_pairs, dtype=np.float64)
    for p in prange(n_pairs):
        i = pairs[p, 0]
        j = pairs[p, 1]
        d, c1, c2, ac = _capsule_capsule(_row(a, i), _row(b, i), r[i], _row(a, j), _row(b, j), r[j])
        dist[p] = d
        abs_cos[p] = ac
        _put(wi, p, c1)
        _put(wj, p, c2)
    return dist, wi, wj, abs_cos


@njit(cache=True, parallel=True)
def _capsule_box_geometry(pairs, cap_a, cap_b, cap_r, box_c, box_h, box_axes):
    n_pairs = pairs.shape[0]
    dist = np.empty(n_pairs, dtype=np.float64)
    wi = np.empty((n_pairs, 3), dtype=np.float64)
    wj = np.empty((n_pairs, 3), dtype=np.float64)
    abs_cos = np.zeros(n_pairs, dtype=np.float64)
    for p in prange(n_pairs):
        d, c1, c2 = _capsule_box_at(pairs[p, 0], pairs[p, 1], cap_a, cap_b, cap_r, box_c, box_h, box_axes)
        dist[p] = d
        _put(wi, p, c1)
        _put(wj, p, c2)
    return dist, wi, wj, abs_cos


@njit(cache=True, parallel=True)
def _capsule_cylinder_geometry(pairs, cap_a, cap_b, cap_r, cyl_xy, cyl_z, cyl_r):
    n_pairs = pairs.shape[0]
    dist = np.empty(n_pairs, dtype=np.float64)
    wi = np.empty((n_pairs, 3), dtype=np.float64)
    wj = np.empty((n_pairs, 3), dtype=np.float64)
    abs_cos = np.empty(n_pairs, dtype=np.float64)
    for p in prange(n_pairs):
        d, c1, c2, ac = _capsule_cylinder_at(pairs[p, 0], pairs[p, 1], cap_a, cap_b, cap_r, cyl_xy, cyl_z, cyl_r)
        dist[p] = d
        abs_cos[p] = ac
        _put(wi, p, c1)
        _put(wj, p, c2)
    return dist, wi, wj, abs_cos


@njit(cache=True, parallel=True)
def _separation_components(wi, wj, ri, rj):
    n = wi.shape[0]
    horizontal = np.empty(n, dtype=np.float64)
    vertical = np.empty(n, dtype=np.float64)
    for p in prange(n):
        dx = wj[p, 0] - wi[p, 0]
        dy = wj[p, 1] - wi[p, 1]
        dz = wj[p, 2] - wi[p, 2]
        rr = ri[p] + rj[p]
        horizontal[p] = math.hypot(dx, dy) - rr
        vertical[p] = abs(dz) - rr
    return horizontal, vertical


def _pairs_in_range(pairs, n_i, n_j, name):
    pairs = _i64(pairs, (None, 2), name)
    if pairs.shape[0]:
        a0, b0, a1, b1 = _index_range(pairs)
        if a0 < 0 or b0 >= n_i or a1 < 0 or b1 >= n_j:
            raise ValueError(f"{name}: index out of range")
    return pairs


def capsule_capsule_geometry(pairs, cap_a, cap_b, cap_r):
    """Exact closest points and surface distance of capsule pairs.

    Ericson 5.1.9 ``ClosestPtSegmentSegment`` with the degenerate and
    parallel cases handled as in :func:`_closest_params_segment_segment`
    (parallel overlapping axes: witness at the middle of the overlap).
    The result for ``(i, j)`` is bit-for-bit the swap of the result for
    ``(j, i)``: the kernel always runs with the lexicographically smaller
    capsule ``(a, b, r)`` first.

    Parameters
    ----------
    pairs : (p, 2) int64
        Capsule indices ``(i, j)``.
    cap_a, cap_b : (n, 3) float64, metres
    cap_r : (n,) float64, metres

    Returns
    -------
    distance : (p,) float64, metres
        ``|p - q| - r_i - r_j`` (negative = overlap).
    witness_i, witness_j : (p, 3) float64, metres
        Closest points on the axes of ``i`` and ``j``.
    abs_cos : (p,) float64
        ``|cos|`` of the angle between the axes: 1 parallel, 0 perpendicular;
        0.0 by convention when either segment has zero length.
    """
    a, b, r = _capsules(cap_a, cap_b, cap_r)
    pairs = _pairs_in_range(pairs, a.shape[0], a.shape[0], "pairs")
    return _capsule_capsule_geometry(pairs, a, b, r)


def capsule_box_geometry(pairs, cap_a, cap_b, cap_r, box_c, box_h, box_axes):
    """Exact distance between capsules and solid oriented boxes.

    See :func:`_capsule_box` for the algorithm (slab test, end points, 12
    edges). When the capsule axis touches or enters the box the distance is
    ``-r`` and both witnesses are the middle of the part of the axis inside
    the box.

    Parameters
    ----------
    pairs : (p, 2) int64
        ``(capsule index, box index)`` (box indices local to the box arrays).
    cap_a, cap_b : (n, 3) float64, metres
    cap_r : (n,) float64, metres
    box_c, box_h : (m, 3) float64, metres
    box_axes : (m, 3, 3) float64

    Returns
    -------
    distance : (p,) float64, metres
        Axis-to-box distance minus the capsule radius.
    witness_i : (p, 3) float64, metres
        Closest point on the capsule axis.
    witness_j : (p, 3) float64, metres
        Closest point on the box surface.
    abs_cos : (p,) float64
        Always 0.0 (a box has no single direction; same convention as a
        zero-length segment).
    """
    a, b, r = _capsules(cap_a, cap_b, cap_r)
    c, h, axes = _boxes(box_c, box_h, box_axes)
    pairs = _pairs_in_range(pairs, a.shape[0], c.shape[0], "pairs")
    return _capsule_box_geometry(pairs, a, b, r, c, h, axes)


def capsule_cylinder_geometry(pairs, cap_a, cap_b, cap_r, cyl_xy, cyl_z, cyl_r):
    """Distance between capsules and solid vertical cylinders.

    See :func:`_capsule_cylinder`: exact intersection test and closed forms
    for horizontal, vertical and zero-length segments; otherwise a
    golden-section search on the convex distance along the segment to
    ``CYLINDER_SEARCH_T_TOLERANCE`` (error <= that times the segment length).

    Parameters
    ----------
    pairs : (p, 2) int64
        ``(capsule index, cylinder index)`` (cylinder indices local).
    cap_a, cap_b : (n, 3) float64, metres
    cap_r : (n,) float64, metres
    cyl_xy : (k, 2) float64, metres
    cyl_z : (k, 2) float64, metres
    cyl_r : (k,) float64, metres

    Returns
    -------
    distance : (p,) float64, metres
        Axis-to-cylinder distance minus the capsule radius (``-r`` when the
        axis meets the cylinder).
    witness_i : (p, 3) float64, metres
        Point on the capsule axis.
    witness_j : (p, 3) float64, metres
        Point on the cylinder surface (equal to ``witness_i`` when they meet).
    abs_cos : (p,) float64
        ``|cos|`` of the angle between the capsule axis and the vertical.
    """
    a, b, r = _capsules(cap_a, cap_b, cap_r)
    xy, z, cr = _cylinders(cyl_xy, cyl_z, cyl_r)
    pairs = _pairs_in_range(pairs, a.shape[0], xy.shape[0], "pairs")
    return _capsule_cylinder_geometry(pairs, a, b, r, xy, z, cr)


def pair_geometry(pairs, cap_a, cap_b, cap_r, box_c, box_h, box_axes, cyl_xy, cyl_z, cyl_r):
    """Distances and witnesses for a mixed pair list (single entry point).

    Primitives are numbered ``[capsules | boxes | cylinders]`` (capsule ``i``
    is ``i``, box ``k`` is ``n + k``, cylinder ``l`` is ``n + m + l``).

    Supported: capsule-capsule (see :func:`capsule_capsule_geometry`),
    capsule-box (:func:`capsule_box_geometry`) and capsule-cylinder
    (:func:`capsule_cylinder_geometry`), in either order within the pair.
    Box-box, box-cylinder and cylinder-cylinder pairs are not computed:
    ``distance = +inf``, witnesses NaN, ``abs_cos = 0``.

    Parameters
    ----------
    pairs : (p, 2) int64
        Indices in the concatenated numbering.
    cap_a, cap_b : (n, 3) float64; cap_r : (n,) float64, metres
    box_c, box_h : (m, 3) float64; box_axes : (m, 3, 3) float64
    cyl_xy, cyl_z : (k, 2) float64; cyl_r : (k,) float64, metres

    Returns
    -------
    distance : (p,) float64, metres
        Surface-to-surface distance (negative = overlap).
    witness_i : (p, 3) float64, metres
        Witness on primitive ``pairs[:, 0]`` (on the axis for a capsule, on
        the surface for a box or cylinder).
    witness_j : (p, 3) float64, metres
        Witness on primitive ``pairs[:, 1]``.
    abs_cos : (p,) float64
        ``|cos|`` between the directions (capsule axis; vertical for a
        cylinder; 0.0 for a box or a zero-length segment).
    """
    a, b, r = _capsules(cap_a, cap_b, cap_r)
    c, h, axes = _boxes(box_c, box_h, box_axes)
    xy, z, cr = _cylinders(cyl_xy, cyl_z, cyl_r)
    total = a.shape[0] + c.shape[0] + xy.shape[0]
    pairs = _pairs_in_range(pairs, total, total, "pairs")
    return _pair_geometry(pairs, a, b, r, c, h, axes, xy, z, cr)


def separation_components(witness_i, witness_j, r_i, r_j):
    """Horizontal and vertical gaps between two witnesses on axes.

    Parameters
    ----------
    witness_i, witness_j : (p, 3) float64, metres
        Points on the axes (or on the surface of a box/cylinder, with radius 0).
    r_i, r_j : (p,) float64 or scalar, metres
        Radii to subtract.

    Returns
    -------
    horizontal_gap : (p,) float64, metres
        ``hypot(dx, dy) - r_i - r_j``.
    vertical_gap : (p,) float64, metres
        ``|dz| - r_i - r_j``.
    """
    wi = _f64(witness_i, (None, 3), "witness_i")
    n = wi.shape[0]
    wj = _f64(witness_j, (n, 3), "witness_j")
    ri = _f64(np.broadcast_to(np.asarray(r_i, dtype=np.float64), (n,)), (n,), "r_i")
    rj = _f64(np.broadcast_to(np.asarray(r_j, dtype=np.float64), (n,)), (n,), "r_j")
    return _separation_components(wi, wj, ri, rj)


def closest_points_segment_segment(p1, q1, p2, q2):
    """Closest points of two segments (scalar convenience, for tests and tools).

    Parameters
    ----------
    p1, q1, p2, q2 : (3,) float64, metres

    Returns
    -------
    distance : float
        Axis-to-axis distance, metres.
    c1, c2 : (3,) float64
        Closest points on segment 1 and 2 (canonical order, see
        :func:`capsule_capsule_geometry`).
    """
    a = _f64(np.stack([p1, p2]), (2, 3), "points")
    b = _f64(np.stack([q1, q2]), (2, 3), "points")
    d, wi, wj, _ = _capsule_capsule_geometry(
        np.array([[0, 1]], dtype=np.int64), a, b, np.zeros(2, dtype=np.float64)
    )
    return float(d[0]), wi[0], wj[0]


# --------------------------------------------------------------------------- #
# Broad phase: hierarchical uniform grid on power-of-two cells.               #
# --------------------------------------------------------------------------- #
#
# Level L has cubic cells of edge s_L = s0 * 2**L (s0 a power of two) whose
# integer coordinates are floor(x / s_L) = floor(x / s0) >> L, exact in
# float64 (division by a power of two is exact). An object lives at the lowest
# level whose cell edge strictly exceeds its largest AABB extent, in the cell
# containing its lo corner. Within a level, objects are sorted by a packed
# x-major cell key (combined with the level) so that a 3-cell run along z is a
# contiguous slice of the sorted objects.

_RADIX_BITS = 11
_RADIX_MASK = (1 << _RADIX_BITS) - 1
# Cells per axis and level are kept below this so that packed keys fit int64.
_MAX_CELLS_PER_AXIS = 1 << 20


@njit(cache=True)
def _radix_argsort(keys):
    """Stable LSD radix argsort of non-negative int64 keys (11-bit digits).

    ``keys`` is overwritten (used as scratch).

    Returns
    -------
    order : (n,) int64
        Permutation with ``keys[order]`` non-decreasing; equal keys keep their
        input order (so the result is deterministic).
    sorted_keys : (n,) int64
    """
    n = keys.shape[0]
    order = np.arange(n, dtype=np.int64)
    cur = keys  # consumed: the caller's array is reused as scratch
    tmp_o = np.empty(n, dtype=np.int64)
    tmp_k = np.empty(n, dtype=np.int64)
    max_key = 0
    for i in range(n):
        if cur[i] > max_key:
            max_key = cur[i]
    shift = 0
    count = np.empty(_RADIX_MASK + 2, dtype=np.int64)
    while True:
        count[:] = 0
        for i in range(n):
            count[((cur[i] >> shift) & _RADIX_MASK) + 1] += 1
        for d in range(_RADIX_MASK + 1):
            count[d + 1] += count[d]
        for i in range(n):
            d = (cur[i] >> shift) & _RADIX_MASK
            pos = count[d]
            count[d] = pos + 1
            tmp_o[pos] = order[i]
            tmp_k[pos] = cur[i]
        order, tmp_o = tmp_o, order
        cur, tmp_k = tmp_k, cur
        shift += _RADIX_BITS
        if shift >= 63 or (max_key >> shift) == 0:
            break
    return order, cur


@njit(cache=True, inline="always")
def _lower_bound(arr, lo, hi, value):
    """First index in ``[lo, hi)`` with ``arr[index] >= value`` (``hi`` if none)."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if arr[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, inline="always")
def _gallop_lower_bound(arr, start, hi, value):
    """Like :func:`_lower_bound` on ``[start, hi)`` but galloping from ``start``
    (cheap when the answer is near ``start``)."""
    if start >= hi or arr[start] >= value:
        return start
    step = 1
    prev = start
    nxt = start + 1
    while nxt < hi and arr[nxt] < value:
        prev = nxt
        step <<= 1
        nxt = start + step
    if nxt > hi:
        nxt = hi
    return _lower_bound(arr, prev + 1, nxt, value)


_STATS_CHUNKS = 64
_SAMPLE_SIZE = 1 << 16
#: The level-0 cell edge covers this quantile of the box extents (most boxes on one level).
CELL_QUANTILE = 0.9


@njit(cache=True, inline="always")
def _cell_of(x, inv_s0):
    """Level-0 cell index ``floor(x / s0)``; exact since ``1/s0`` is a power of two."""
    return np.int64(math.floor(x * inv_s0))


@njit(cache=True, parallel=True)
def _grid_cell_size(lo, hi):
    """Check the boxes and choose the level-0 cell edge.

    Raises ``ValueError`` if a bound is not finite or ``lo > hi``. The edge
    is the smallest power of two ``>=`` the ``CELL_QUANTILE`` quantile of the
    largest extents of the boxes (of a deterministic stride sample of at most
    65536 boxes: the cell size only affects speed, never the result; with most
    boxes on level 0, few scan the cells of higher levels), enlarged until
    every axis has fewer than ``_MAX_CELLS_PER_AXIS`` cells so that packed
    keys fit in int64.
    """
    n = lo.shape[0]
    chunk_min = np.empty((_STATS_CHUNKS, 3), dtype=np.float64)
    chunk_max = np.empty((_STATS_CHUNKS, 3), dtype=np.float64)
    chunk_bad = np.zeros(_STATS_CHUNKS, dtype=np.int64)
    for ch in prange(_STATS_CHUNKS):
        i0 = ch * n // _STATS_CHUNKS
        i1 = (ch + 1) * n // _STATS_CHUNKS
        for k in range(3):
            chunk_min[ch, k] = np.inf
            chunk_max[ch, k] = -np.inf
        bad = 0
        for i in range(i0, i1):
            for k in range(3):
                lv = lo[i, k]
                hv = hi[i, k]
                if not (math.isfinite(lv) and math.isfinite(hv) and lv <= hv):
                    bad += 1
                if lv < chunk_min[ch, k]:
                    chunk_min[ch, k] = lv
                if hv > chunk_max[ch, k]:
                    chunk_max[ch, k] = hv
        chunk_bad[ch] = bad
    if chunk_bad.sum() > 0:
        raise ValueError("candidate_pairs: lo and hi must be finite with lo <= hi")
    m = min(n, _SAMPLE_SIZE)
    ext = np.empty(m, dtype=np.float64)
    for u in range(m):
        i = u * n // m
        e = 0.0
        for k in range(3):
            e = max(e, hi[i, k] - lo[i, k])
        ext[u] = e
    typical = np.quantile(ext, CELL_QUANTILE)
    if not typical > 0.0:
        typical = ext.max()
    if not typical > 0.0:
        typical = 1.0
    s0 = math.ldexp(1.0, int(math.ceil(math.log2(typical))))
    span = 0.0
    for k in range(3):
        span = max(span, chunk_max[:, k].max() - chunk_min[:, k].min())
    while span / s0 >= _MAX_CELLS_PER_AXIS - 4:
        s0 *= 2.0
    return s0


@njit(cache=True, parallel=True)
def _grid_levels(lo, hi, s0):
    """Level of each box: the lowest ``L`` with largest extent ``< s0 * 2**L``."""
    n = lo.shape[0]
    level = np.empty(n, dtype=np.int64)
    for i in prange(n):
        ext = 0.0
        for k in range(3):
            e = hi[i, k] - lo[i, k]
            if e > ext:
                ext = e
        lev = 0
        s = s0
        while not (ext < s):
            lev += 1
            s *= 2.0
        level[i] = lev
    return level


@njit(cache=True, inline="always")
def _pack(x, y, z, lev, lev_min, lev_dim, lev_base):
    return lev_base[lev] + (
        (x - lev_min[lev, 0] + 1) * lev_dim[lev, 1] + (y - lev_min[lev, 1] + 1)
    ) * lev_dim[lev, 2] + (z - lev_min[lev, 2] + 1)


@njit(cache=True, parallel=True)
def _grid_keys(lo, level, n_levels, inv_s0):
    """Packed ``(level, x, y, z)`` cell keys of the lo corners; per level the
    cell bounds, padded dimensions (one empty cell on each side), key base and
    object count."""
    n = lo.shape[0]
    big = np.int64(1) << 62
    n_chunks = _STATS_CHUNKS
    cmin = np.full((n_chunks, n_levels, 3), big, dtype=np.int64)
    cmax = np.full((n_chunks, n_levels, 3), -big, dtype=np.int64)
    ccount = np.zeros((n_chunks, n_levels), dtype=np.int64)
    for ch in prange(n_chunks):
        for i in range(ch * n // n_chunks, (ch + 1) * n // n_chunks):
            lev = level[i]
            ccount[ch, lev] += 1
            for k in range(3):
                c = _cell_of(lo[i, k], inv_s0) >> lev
                if c < cmin[ch, lev, k]:
                    cmin[ch, lev, k] = c
                if c > cmax[ch, lev, k]:
                    cmax[ch, lev, k] = c
    lev_min = np.empty((n_levels, 3), dtype=np.int64)
    lev_max = np.empty((n_levels, 3), dtype=np.int64)
    lev_count = np.zeros(n_levels, dtype=np.int64)
    for lev in range(n_levels):
        lev_count[lev] = ccount[:, lev].sum()
        for k in range(3):
            lev_min[lev, k] = cmin[:, lev, k].min()
            lev_max[lev, k] = cmax[:, lev, k].max()
    lev_dim = np.zeros((n_levels, 3), dtype=np.int64)
    lev_base = np.zeros(n_levels + 1, dtype=np.int64)
    for lev in range(n_levels):
        if lev_count[lev] > 0:
            for k in range(3):
                lev_dim[lev, k] = lev_max[lev, k] - lev_min[lev, k] + 3
            lev_base[lev + 1] = lev_base[lev] + lev_dim[lev, 0] * lev_dim[lev, 1] * lev_dim[lev, 2]
        else:
            lev_base[lev + 1] = lev_base[lev]
    keys = np.empty(n, dtype=np.int64)
    for i in prange(n):
        lev = level[i]
        keys[i] = _pack(
            _cell_of(lo[i, 0], inv_s0) >> lev,
            _cell_of(lo[i, 1], inv_s0) >> lev,
            _cell_of(lo[i, 2], inv_s0) >> lev,
            lev, lev_min, lev_dim, lev_base,
        )
    return keys, lev_min, lev_max, lev_dim, lev_base, lev_count


@njit(cache=True, parallel=True)
def _gather(order, lo, hi, group):
    """Box data in sorted order (contiguous for the scans)."""
    n = order.shape[0]
    slo = np.empty((n, 3), dtype=np.float64)
    shi = np.empty((n, 3), dtype=np.float64)
    sgrp = np.empty(n, dtype=np.int64)
    for p in prange(n):
        i = order[p]
        for k in range(3):
            slo[p, k] = lo[i, k]
            shi[p, k] = hi[i, k]
        sgrp[p] = group[i]
    return slo, shi, sgrp


@njit(cache=True)
def _cell_runs(skey, lev_base):
    """Runs of equal keys: ``cell_key (c,)``, ``cell_start (c+1,)``, cell level
    ``cell_lev (c,)`` and the first cell of each level ``lev_cell (L+1,)``."""
    n = skey.shape[0]
    n_cells = 1
    for p in range(1, n):
        if skey[p] != skey[p - 1]:
            n_cells += 1
    cell_key = np.empty(n_cells, dtype=np.int64)
    cell_start = np.empty(n_cells + 1, dtype=np.int64)
    cell_lev = np.empty(n_cells, dtype=np.int64)
    c = 0
    cell_key[0] = skey[0]
    cell_start[0] = 0
    for p in range(1, n):
        if skey[p] != skey[p - 1]:
            c += 1
            cell_key[c] = skey[p]
            cell_start[c] = p
    cell_start[n_cells] = n
    n_levels = lev_base.shape[0] - 1
    lev = 0
    for c in range(n_cells):
        while cell_key[c] >= lev_base[lev + 1]:
            lev += 1
        cell_lev[c] = lev
    lev_cell = np.empty(n_levels + 1, dtype=np.int64)
    c = 0
    for lev in range(n_levels + 1):
        while c < n_cells and cell_lev[c] < lev:
            c += 1
        lev_cell[lev] = c
    return cell_key, cell_start, cell_lev, lev_cell


@njit(cache=True, parallel=True)
def _neighbour_slices(cell_key, cell_start, cell_lev, lev_cell, lev_dim):
    """Object ranges of the forward half-neighbourhood of every cell.

    With the x-major key, the cells at offsets ``(dx, dy, -1..+1)`` of a cell
    are a contiguous key run ``[base - 1, base + 1]``. The forward half of
    the 26-neighbourhood is covered by ``(0, 0, 0..+1)`` (objects after the
    current one), ``(0, +1, *)`` and ``(+1, -1..+1, *)``.

    Returns
    -------
    sl : (c, 9) int64
        ``[end00, s01, e01, s1m, e1m, s10, e10, s11, e11]`` positions in the
        sorted object arrays.
    """
    n_cells = cell_key.shape[0]
    sl = np.empty((n_cells, 9), dtype=np.int64)
    for c_ in prange(n_cells):
        c = np.int64(c_)
        lev = cell_lev[c]
        end = lev_cell[lev + 1]
        key = cell_key[c]
        nz = lev_dim[lev, 2]
        nyz = lev_dim[lev, 1] * nz
        e = _gallop_lower_bound(cell_key, c, end, key + 2)
        sl[c, 0] = cell_start[e]
        col = 1
        for off in (nz, nyz - nz, nyz, nyz + nz):
            s = _gallop_lower_bound(cell_key, c, end, key + off - 1)
            e = _gallop_lower_bound(cell_key, s, end, key + off + 2)
            sl[c, col] = cell_start[s]
            sl[c, col + 1] = cell_start[e]
            col += 2
    return sl


@njit(cache=True, inline="always")
def _overlap(slo, shi, sgrp, p, q):
    return (
        sgrp[p] != sgrp[q]
        and slo[q, 0] <= shi[p, 0]
        and slo[p, 0] <= shi[q, 0]
        and slo[q, 1] <= shi[p, 1]
        and slo[p, 1] <= shi[q, 1]
        and slo[q, 2] <= shi[p, 2]
        and slo[p, 2] <= shi[q, 2]
    )


@njit(cache=True, inline="always")
def _emit(out, w, op, oq):
    if op < oq:
        out[w, 0] = op
        out[w, 1] = oq
    else:
        out[w, 0] = oq
        out[w, 1] = op


@njit(cache=True, inline="always")
def _scan_object(
    p, c, lev, out, w, limit, sorig, slo, shi, sgrp, inv_s0, cell_key, cell_start, lev_cell, sl,
    lev_min, lev_max, lev_dim, lev_base, lev_count,
):
    """Write the pairs object ``p`` (sorted position, in cell ``c`` of level ``lev``) is
    responsible for from ``out[w]`` on, as long as ``w < limit``; return the new ``w``
    (which keeps counting past ``limit``)."""
    n_levels = lev_count.shape[0]
    op = sorig[p]
    lx = _cell_of(slo[p, 0], inv_s0)
    ly = _cell_of(slo[p, 1], inv_s0)
    lz = _cell_of(slo[p, 2], inv_s0)
    hx = _cell_of(shi[p, 0], inv_s0)
    hy = _cell_of(shi[p, 1], inv_s0)
    hz = _cell_of(shi[p, 2], inv_s0)
    # (0, 0, 0..+1): later objects in the same cell and the cell above.
    for q in range(p + 1, sl[c, 0]):
        if _overlap(slo, shi, sgrp, p, q):
            if w < limit:
                _emit(out, w, op, sorig[q])
            w += 1
    # (0, +1, *) needs hi_y in the next cell row; (+1, *, *) hi_x.
    g0 = 0 if (hy >> lev) > (ly >> lev) else 1
    g1 = 4 if (hx >> lev) > (lx >> lev) else 1
    for g in range(g0, g1):
        for q in range(sl[c, 1 + 2 * g], sl[c, 2 + 2 * g]):
            if _overlap(slo, shi, sgrp, p, q):
                if w < limit:
                    _emit(out, w, op, sorig[q])
                w += 1
    # Higher levels.
    for lv in range(lev + 1, n_levels):
        if lev_count[lv] == 0:
            continue
        x0 = max((lx >> lv) - 1, lev_min[lv, 0])
        x1 = min(hx >> lv, lev_max[lv, 0])
        y0 = max((ly >> lv) - 1, lev_min[lv, 1])
        y1 = min(hy >> lv, lev_max[lv, 1])
        z0 = max((lz >> lv) - 1, lev_min[lv, 2])
        z1 = min(hz >> lv, lev_max[lv, 2])
        if x0 > x1 or y0 > y1 or z0 > z1:
            continue
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                k0 = _pack(x, y, z0, lv, lev_min, lev_dim, lev_base)
                k1 = _pack(x, y, z1, lv, lev_min, lev_dim, lev_base)
                cc = _lower_bound(cell_key, lev_cell[lv], lev_cell[lv + 1], k0)
                ce = _lower_bound(cell_key, cc, lev_cell[lv + 1], k1 + 1)
                for q in range(cell_start[cc], cell_start[ce]):
                    if _overlap(slo, shi, sgrp, p, q):
                        if w < limit:
                            _emit(out, w, op, sorig[q])
                        w += 1
    return w


@njit(cache=True, parallel=True)
def _grid_scan(
    chunks, first_cell, base, limit, out, sorig, slo, shi, sgrp, cell_lev, inv_s0, cell_key, cell_start, lev_cell,
    sl, lev_min, lev_max, lev_dim, lev_base, lev_count,
):
    """Write the candidate pairs of the cell chunks ``chunks`` in one pass.

    Chunk ``k`` covers cells ``[first_cell[k], first_cell[k + 1])`` and writes from
    ``out[base[k]]`` up to ``out[limit[k]]``; its true pair count is returned (a count
    above ``limit - base`` means the chunk overflowed and must be scanned again).

    Each overlapping pair is found exactly once:

    - same level, same cell: from the object earlier in sorted order;
    - same level, neighbouring cells: from the object whose cell sees the
      other's in its forward half-neighbourhood (exactly one of the two);
    - different levels: from the object on the lower level, which scans the
      cells ``[c_lo - 1, c_hi]`` of every higher level.
    """
    used = np.zeros(chunks.shape[0], dtype=np.int64)
    for u in prange(chunks.shape[0]):
        k = chunks[u]
        w = base[k]
        for c in range(first_cell[k], first_cell[k + 1]):
            lev = cell_lev[c]
            for p in range(cell_start[c], cell_start[c + 1]):
                w = _scan_object(p, c, lev, out, w, limit[k], sorig, slo, shi, sgrp, inv_s0, cell_key, cell_start,
                                 lev_cell, sl, lev_min, lev_max, lev_dim, lev_base, lev_count)
        used[u] = w - base[k]
    return used


@njit(cache=True, parallel=True)
def _compact(out, base, used, offsets, total):
    """Chunk outputs ``out[base[k]:base[k] + used[k]]`` one after the other."""
    raw = np.empty((total, 2), dtype=np.int64)
    for k in prange(base.shape[0]):
        for t in range(used[k]):
            raw[offsets[k] + t, 0] = out[base[k] + t, 0]
            raw[offsets[k] + t, 1] = out[base[k] + t, 1]
    return raw


#: Cell chunks per thread of the one-pass scan, and the pairs per object its buffers expect at first.
_SCAN_CHUNKS_PER_THREAD = 8
_PAIRS_PER_OBJECT_GUESS = 6


_SORT_CHUNKS_MAX = 8


@njit(cache=True, parallel=True)
def _sort_pairs(raw, n, n_threads):
    """Lexicographic sort of ``(p, 2)`` pairs with ``raw[:, 0] < n``.

    Counting sort on the first column, parallel over disjoint ranges of first
    indices (each chunk reads all pairs but only counts and moves its own),
    then every run of equal first index is sorted on the second column.
    """
    m = raw.shape[0]
    n_chunks = max(1, min(n_threads, _SORT_CHUNKS_MAX))
    start = np.zeros(n + 1, dtype=np.int64)
    for ch in prange(n_chunks):
        lo_o = ch * n // n_chunks
        hi_o = (ch + 1) * n // n_chunks
        for w in range(m):
            a = raw[w, 0]
            if lo_o <= a and a < hi_o:
                start[a + 1] += 1
    for i in range(n):
        start[i + 1] += start[i]
    out = np.empty((m, 2), dtype=np.int64)
    pos = start[:-1].copy()
    for ch in prange(n_chunks):
        lo_o = ch * n // n_chunks
        hi_o = (ch + 1) * n // n_chunks
        for w in range(m):
            a = raw[w, 0]
            if lo_o <= a and a < hi_o:
                d = pos[a]
                pos[a] = d + 1
                out[d, 0] = a
                out[d, 1] = raw[w, 1]
    for i in prange(n):
        s = start[i]
        e = start[i + 1]
        if e - s > 32:
            out[s:e, 1] = np.sort(out[s:e, 1])
        else:
            for u in range(s + 1, e):
                v = out[u, 1]
                t = u - 1
                while t >= s and out[t, 1] > v:
                    out[t + 1, 1] = out[t, 1]
                    t -= 1
                out[t + 1, 1] = v
    return out


@njit(cache=True)
def _candidate_pairs_grid(lo, hi, group, n_threads):
    n = lo.shape[0]
    s0 = _grid_cell_size(lo, hi)
    inv_s0 = 1.0 / s0  # exact: s0 is a power of two
    level = _grid_levels(lo, hi, s0)
    n_levels = level.max() + 1
    keys, lev_min, lev_max, lev_dim, lev_base, lev_count = _grid_keys(lo, level, n_levels, inv_s0)
    order, skey = _radix_argsort(keys)
    slo, shi, sgrp = _gather(order, lo, hi, group)
    cell_key, cell_start, cell_lev, lev_cell = _cell_runs(skey, lev_base)
    sl = _neighbour_slices(cell_key, cell_start, cell_lev, lev_cell, lev_dim)
    # One pass into per-chunk buffers sized by a guess; the few chunks that overflow are scanned
    # again with their exact size. Chunks are runs of cells, so the pairs come out in the same
    # order whatever the chunking.
    n_cells = cell_key.shape[0]
    n_chunks = max(1, min(n_cells, _SCAN_CHUNKS_PER_THREAD * n_threads))
    first_cell = np.empty(n_chunks + 1, dtype=np.int64)
    for k in range(n_chunks + 1):
        first_cell[k] = k * n_cells // n_chunks
    base = np.empty(n_chunks + 1, dtype=np.int64)
    base[0] = 0
    for k in range(n_chunks):
        objects = cell_start[first_cell[k + 1]] - cell_start[first_cell[k]]
        base[k + 1] = base[k] + _PAIRS_PER_OBJECT_GUESS * objects + 64
    out = np.empty((base[n_chunks], 2), dtype=np.int64)
    every = np.arange(n_chunks)
    used = _grid_scan(every, first_cell, base, base[1:], out, order, slo, shi, sgrp, cell_lev, inv_s0, cell_key,
                      cell_start, lev_cell, sl, lev_min, lev_max, lev_dim, lev_base, lev_count)
    over = np.flatnonzero(used > base[1:] - base[:-1])
    if over.shape[0] > 0:
        extra_base = np.empty(n_chunks + 1, dtype=np.int64)
        extra_base[:] = base[n_chunks]
        total_extra = 0
        for k in over:
            extra_base[k] = base[n_chunks] + total_extra
            total_extra += used[k]
        limit = extra_base + 0
        for k in over:
            limit[k] = extra_base[k] + used[k]
        grown = np.empty((base[n_chunks] + total_extra, 2), dtype=np.int64)
        grown[: base[n_chunks]] = out
        out = grown
        _grid_scan(over, first_cell, extra_base, limit, out, order, slo, shi, sgrp, cell_lev, inv_s0, cell_key,
                   cell_start, lev_cell, sl, lev_min, lev_max, lev_dim, lev_base, lev_count)
        for k in over:
            base[k] = extra_base[k]
    offsets = np.empty(n_chunks, dtype=np.int64)
    total = 0
    for k in range(n_chunks):
        offsets[k] = total
        total += used[k]
    raw = _compact(out, base[:n_chunks], used, offsets, total)
    return _sort_pairs(raw, n, n_threads)


def candidate_pairs(lo, hi, group):
    """Broad phase: all pairs of boxes that overlap and belong to different groups.

    Two algorithms, the same pairs. Boxes spread over a plane at about one size (the
    segments of a street or a city) go to :mod:`vkls.geometry.plane_grid`: square x-y cells,
    each box entered in every cell it covers, each pair reported by the cell of its overlap's
    lower corner. When that grid would need too many entries or cells (one huge box, long
    diagonal segments), this hierarchical grid takes them.

    Algorithm: hierarchical uniform grid (a spatial hash with sorted cell
    keys instead of a hash table). Level-0 cells are cubes of edge ``s0``, the
    power of two just above the 90th percentile of the largest box extents; level ``L`` cells
    have edge ``s0 * 2**L``. Each box lives at the lowest level whose cell edge
    strictly exceeds its largest extent, in the cell of its ``lo`` corner, so
    a long segment or a big root zone costs one entry, not thousands. Objects
    are sorted by ``(level, x, y, z)`` cell key (LSD radix sort); pairs are
    counted, then written (two-pass count/fill, parallel over cells with
    ``prange``), then sorted lexicographically (parallel counting sort on the
    first index, then each run).

    Why no pair is missed: cell coordinates are ``floor(x / s_L)``, computed
    exactly (``s_L`` is a power of two). If boxes ``i`` and ``j`` overlap
    and ``j`` has extent ``<= s_L`` on level ``L``, then ``lo_j <= hi_i`` and
    ``lo_j >= hi_j - s_L >= lo_i - s_L``, so ``j``'s cell lies in
    ``[cell(lo_i) - 1, cell(hi_i)]`` on every axis. Same level: both cells
    are within one of each other, so either they coincide (pair found from
    the earlier object of the cell) or exactly one of the two offsets is in
    the forward half-neighbourhood that the owning object scans. Different
    levels: the lower-level object scans ``[cell(lo_i) - 1, cell(hi_i)]`` of
    every higher level. Each pair is found by exactly one of these rules, so
    there are no duplicates. The test is the closed overlap
    ``lo_i <= hi_j and lo_j <= hi_i`` on all three axes; the bounds themselves
    are rounded outwards by :func:`capsule_aabbs` and friends.

    Scaling: expected ``O(n + pairs)`` for both a long street along one axis
    and a city grid (no dependence on a sweep axis). Memory ``O(n + pairs)``.

    Parameters
    ----------
    lo, hi : (N, 3) float64, metres
        Closed, already enlarged bounding boxes (``lo <= hi``, finite).
    group : (N,) int64
        Group id; pairs within one group are never reported.

    Returns
    -------
    pairs : (p, 2) int64
        ``(i, j)`` with ``i < j``, unique, sorted lexicographically.

    Raises
    ------
    ValueError
        On wrong shapes, non-finite bounds or ``lo > hi``.
    """
    lo = np.ascontiguousarray(lo, dtype=np.float64)
    hi = np.ascontiguousarray(hi, dtype=np.float64)
    if lo.ndim != 2 or lo.shape[1] != 3 or hi.shape != lo.shape:
        raise ValueError(f"lo, hi: expected equal (N, 3) shapes, got {lo.shape} and {hi.shape}")
    n = lo.shape[0]
    group = _i64(group, (n,), "group")
    if n < 2:
        if n and not (np.isfinite(lo).all() and np.isfinite(hi).all() and (lo <= hi).all()):
            raise ValueError("candidate_pairs: lo and hi must be finite with lo <= hi")
        return _EMPTY_PAIRS.copy()
    from vkls.geometry.plane_grid import plane_pairs

    threads = numba.get_num_threads()
    raw = plane_pairs(lo, hi, group, threads)
    if raw is None:
        return _candidate_pairs_grid(lo, hi, group, threads)
    return _sort_pairs(raw, n, threads)


# --------------------------------------------------------------------------- #
# Chains                                                                      #
# --------------------------------------------------------------------------- #


@njit(cache=True, parallel=True)
def _chain_segments(xyz, line_start, origin_x, origin_y, extra):
    n_lines = line_start.shape[0] - 1
    n_segments = line_start[n_lines] - n_lines
    cap_a = np.zeros((n_segments + extra, 3))
    cap_b = np.zeros((n_segments + extra, 3))
    chainage = np.zeros((n_segments + extra, 2))
    line_of_segment = np.empty(n_segments, dtype=np.int64)
    for line in prange(n_lines):
        total = 0.0
        for v in range(line_start[line] + 1, line_start[line + 1]):
            s = v - line - 1  # every vertex but a line's first ends a segment
            ax, ay, az = xyz[v - 1, 0] - origin_x, xyz[v - 1, 1] - origin_y, -xyz[v - 1, 2]
            bx, by, bz = xyz[v, 0] - origin_x, xyz[v, 1] - origin_y, -xyz[v, 2]
            cap_a[s, 0], cap_a[s, 1], cap_a[s, 2] = ax, ay, az
            cap_b[s, 0], cap_b[s, 1], cap_b[s, 2] = bx, by, bz
            dx, dy, dz = bx - ax, by - ay, bz - az
            chainage[s, 0] = total
            total += math.sqrt(dx * dx + dy * dy + dz * dz)
            chainage[s, 1] = total
            line_of_segment[s] = line
    return cap_a, cap_b, chainage, line_of_segment


@njit(cache=True)
def _gather_lines(xyz, line_start, order):
    counts = np.empty(order.shape[0], dtype=np.int64)
    start = np.empty(order.shape[0] + 1, dtype=np.int64)
    start[0] = 0
    for k in range(order.shape[0]):
        counts[k] = line_start[order[k] + 1] - line_start[order[k]]
        start[k + 1] = start[k] + counts[k]
    out = np.empty((start[-1], xyz.shape[1]), dtype=xyz.dtype)
    for k in range(order.shape[0]):
        source = line_start[order[k]]
        for v in range(counts[k]):
            for c in range(xyz.shape[1]):
                out[start[k] + v, c] = xyz[source + v, c]
    return out, start


def gather_lines(xyz, line_start, order):
    """The polylines ``order`` of a vertex array, one after the other.

    Parameters
    ----------
    xyz : (V, d) float64; line_start : (L + 1,) int64
        Line ``k`` has the vertices ``line_start[k]:line_start[k + 1]``.
    order : (M,) int64
        Lines to take, in this order (each in ``0..L-1``).

    Returns
    -------
    xyz : (V', d) float64; line_start : (M + 1,) int64
    """
    xyz = np.ascontiguousarray(xyz, dtype=np.float64)
    line_start = np.ascontiguousarray(line_start, dtype=np.int64)
    order = np.ascontiguousarray(order, dtype=np.int64)
    if len(order) and (order.min() < 0 or order.max() >= len(line_start) - 1):
        raise ValueError("gather_lines: order names a line that is not there")
    return _gather_lines(xyz, line_start, order)


@njit(cache=True)
def _line_extents(xyz, line_start, diameter):
    n_lines = line_start.shape[0] - 1
    extents = np.empty((n_lines, 4))
    for line in range(n_lines):
        x0, y0, x1, y1 = np.inf, np.inf, -np.inf, -np.inf
        for v in range(line_start[line], line_start[line + 1]):
            x0, x1 = min(x0, xyz[v, 0]), max(x1, xyz[v, 0])
            y0, y1 = min(y0, xyz[v, 1]), max(y1, xyz[v, 1])
        r = diameter[line] / 2
        extents[line, 0], extents[line, 1], extents[line, 2], extents[line, 3] = x0 - r, y0 - r, x1 + r, y1 + r
    return extents


def line_extents(xyz, line_start, diameter):
    """(L, 4) plan extent ``xmin, ymin, xmax, ymax`` of each polyline grown by its radius, metres.

    Parameters
    ----------
    xyz : (V, 3) float64; line_start : (L + 1,) int64
        As in :func:`chain_segments` (at least one vertex per line).
    diameter : (L,) float64, metres
    """
    xyz = np.ascontiguousarray(xyz, dtype=np.float64)
    line_start = np.ascontiguousarray(line_start, dtype=np.int64)
    if line_start[-1] != len(xyz) or (np.diff(line_start) < 1).any() or len(diameter) != len(line_start) - 1:
        raise ValueError("line_extents: line_start must cut xyz into lines of >= 1 vertex, one diameter each")
    return _line_extents(xyz, line_start, np.ascontiguousarray(diameter, dtype=np.float64))


def chain_segments(xyz, line_start, origin, extra=0):
    """The segments of polylines stored as one vertex array, in local coordinates.

    Parameters
    ----------
    xyz : (V, 3) float64
        Vertices ``x, y`` (metres RD New) and ``depth`` (metres below ground, positive down).
    line_start : (L + 1,) int64
        Line ``k`` has the vertices ``line_start[k]:line_start[k + 1]`` (at least two each).
    origin : (2,) float64, metres
        Subtracted from x, y.
    extra : int
        Zero rows appended to ``cap_a``, ``cap_b`` and ``chainage`` (room for more capsules).

    Returns
    -------
    cap_a, cap_b : (S + extra, 3) float64, metres; z = -depth
    chainage : (S + extra, 2) float64, metres
        Start and end of each segment along its line, from 0 at the line's first vertex.
    line_of_segment : (S,) int64
    """
    xyz = np.ascontiguousarray(xyz, dtype=np.float64)
    line_start = np.ascontiguousarray(line_start, dtype=np.int64)
    if xyz.ndim != 2 or xyz.shape[1] != 3 or line_start[-1] != len(xyz) or (np.diff(line_start) < 2).any():
        raise ValueError("chain_segments: line_start must cut xyz (V, 3) into lines of >= 2 vertices")
    return _chain_segments(xyz, line_start, float(origin[0]), float(origin[1]), int(extra))


@njit(cache=True)
def _run_starts(new_pair, start, end, gap):
    starts = np.empty(start.shape[0], dtype=np.int64)
    count = 0
    reach = -np.inf
    for k in range(start.shape[0]):
        if new_pair[k] or start[k] > reach + gap:
            starts[count] = k
            count += 1
            reach = end[k]
        elif end[k] > reach:
            reach = end[k]
    return starts[:count]


def run_starts(new_pair, start, end, gap):
    """Where runs begin in hits sorted by pair, then by start.

    A run continues while the next hit of the same pair starts at most ``gap`` past the
    furthest end reached so far.

    Parameters
    ----------
    new_pair : (h,) bool
        True where a hit belongs to another pair than the one before it (always at 0).
    start, end : (h,) float64, metres
        Chainage range of each hit.
    gap : float, metres

    Returns
    -------
    (r,) int64
        Index of the first hit of every run.
    """
    return _run_starts(np.ascontiguousarray(new_pair, dtype=np.bool_), np.ascontiguousarray(start, np.float64),
                       np.ascontiguousarray(end, np.float64), float(gap))


# --------------------------------------------------------------------------- #
# Contacts: keep the near pairs, split their separation.                      #
# --------------------------------------------------------------------------- #


@njit(cache=True, parallel=True)
def _near_mask(pairs, distance, kind, limit, spread, slack):
    n = pairs.shape[0]
    keep = np.empty(n, dtype=np.bool_)
    for p in prange(n):
        i, j = pairs[p, 0], pairs[p, 1]
        keep[p] = distance[p] <= limit[kind[i], kind[j]] + spread[i] + spread[j] + slack  # NaN limit: never
    return keep


@njit(cache=True, parallel=True)
def _regime_mask(pairs, distance, abs_cos, horizontal, vertical, kind, regime_limit, spread, n_capsules,
                 side_by_side_cos, slack):
    keep = np.empty(pairs.shape[0], dtype=np.bool_)
    for p in prange(pairs.shape[0]):
        i, j = pairs[p, 0], pairs[p, 1]
        keep[p] = j >= n_capsules or distance[p] <= regime_limit[
            _regime(abs_cos[p], horizontal[p], vertical[p], side_by_side_cos), kind[i], kind[j]] \
            + spread[i] + spread[j] + slack
    return keep


@njit(cache=True, inline="always")
def _regime(abs_cos, horizontal, vertical, side_by_side_cos):
    """Regime of two capsules, as :func:`vkls.geometry.regimes.contact_regimes` gives it."""
    if abs_cos >= side_by_side_cos:
        return STACKED if vertical > horizontal else PARALLEL
    return CROSSING


@njit(cache=True, inline="always")
def _lateral_of(wi, wj, axis_a, axis_b):
    """Horizontal and vertical length of the witness-to-witness vector ``wj - wi`` (3-tuples) without
    its part along the axis ``axis_a -> axis_b`` (none when that has zero length), metres."""
    dx = wj[0] - wi[0]
    dy = wj[1] - wi[1]
    dz = wj[2] - wi[2]
    ax = axis_b[0] - axis_a[0]
    ay = axis_b[1] - axis_a[1]
    az = axis_b[2] - axis_a[2]
    length = math.sqrt(ax * ax + ay * ay + az * az)
    if length > 0.0:
        ax /= length
        ay /= length
        az /= length
        along = dx * ax + dy * ay + dz * az
        dx -= along * ax
        dy -= along * ay
        dz -= along * az
    return math.hypot(dx, dy), abs(dz)


@njit(cache=True, inline="always")
def _lateral(i, wi, wj, cap_a, cap_b):
    """:func:`_lateral_of` along primitive ``i``'s axis where ``i`` is a capsule (else along nothing)."""
    if i < cap_a.shape[0]:
        return _lateral_of(wi, wj, _row(cap_a, i), _row(cap_b, i))
    return _lateral_of(wi, wj, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))


@njit(cache=True, parallel=True)
def _gather_contacts(rows, pairs, distance, wi, wj, abs_cos, cap_a, cap_b):
    m = rows.shape[0]
    out_pairs = np.empty((m, 2), dtype=np.int64)
    out_d = np.empty(m, dtype=np.float64)
    out_wi = np.empty((m, 3), dtype=np.float64)
    out_wj = np.empty((m, 3), dtype=np.float64)
    out_cos = np.empty(m, dtype=np.float64)
    horizontal = np.empty(m, dtype=np.float64)
    vertical = np.empty(m, dtype=np.float64)
    for u in prange(m):
        p = rows[u]
        out_pairs[u, 0] = pairs[p, 0]
        out_pairs[u, 1] = pairs[p, 1]
        out_d[u] = distance[p]
        out_cos[u] = abs_cos[p]
        for k in range(3):
            out_wi[u, k] = wi[p, k]
            out_wj[u, k] = wj[p, k]
        horizontal[u], vertical[u] = _lateral(pairs[p, 0], _row(wi, p), _row(wj, p), cap_a, cap_b)
    return out_pairs, out_d, out_wi, out_wj, out_cos, horizontal, vertical


@njit(cache=True, parallel=True)
def _pair_columns(pairs, owner, object_kind, cap_r):
    m = pairs.shape[0]
    n_capsules = cap_r.shape[0]
    objects = np.empty((m, 2), dtype=np.int64)
    kinds = np.empty((m, 2), dtype=np.int64)
    radius = np.empty((m, 2), dtype=np.float64)
    for u in prange(m):
        for side in range(2):
            i = pairs[u, side]
            objects[u, side] = owner[i]
            kinds[u, side] = object_kind[owner[i]]
            radius[u, side] = cap_r[i] if i < n_capsules else 0.0
    return objects, kinds, radius


def pair_columns(pairs, owner, object_kind, cap_r, checked=True):
    """The objects, kinds and radii of both sides of every pair.

    Parameters
    ----------
    pairs : (p, 2) int64
        Primitive indices.
    owner : (N,) int64
        Object of each primitive.
    object_kind : (objects,) int64
        Kind code of each object.
    cap_r : (n,) float64, metres
        Capsule radii (primitives from ``n`` on are boxes and cylinders: radius 0).
    checked : bool
        Refuse pairs and owners out of range (``False`` for the pairs the engine found itself, among
        the owner's own primitives: checking 1.3e6 owners took a millisecond).

    Returns
    -------
    objects, kinds : (p, 2) int64
    radius : (p, 2) float64, metres
    """
    owner = _i64(owner, (None,), "owner")
    object_kind = _i64(object_kind, (None,), "object_kind")
    if not checked:
        return _pair_columns(np.ascontiguousarray(pairs, dtype=np.int64), owner, object_kind,
                             np.ascontiguousarray(cap_r, dtype=np.float64))
    pairs = _pairs_in_range(pairs, len(owner), len(owner), "pairs")
    if len(pairs) and (owner.min() < 0 or owner.max() >= len(object_kind)):
        raise ValueError(f"owner: object indices must lie in 0..{len(object_kind) - 1}")
    return _pair_columns(pairs, owner, object_kind, np.ascontiguousarray(cap_r, dtype=np.float64))


def near_contacts(pairs, distance, witness_i, witness_j, abs_cos, kind, limit, spread, cap_a, cap_b, slack=0.0,
                  regime_limit=None, side_by_side_cos=None):
    """The pairs within their limit distance, with their separation split into a horizontal
    and a vertical part: the witness-to-witness vector without its part along the first
    primitive's axis (where that primitive is a capsule of non-zero length).

    A pair ``(i, j)`` is kept when ``distance <= limit[kind[i], kind[j]] + spread[i] + spread[j]
    + slack``; a NaN limit drops it. With one kind, a zero limit and the margins as spread,
    this keeps the pairs within the sum of their margins. With ``regime_limit``, a pair of two
    capsules must also lie within the limit of its regime (see :mod:`vkls.geometry.regimes`).

    Parameters
    ----------
    pairs : (p, 2) int64; distance : (p,); witness_i, witness_j : (p, 3); abs_cos : (p,)
        The output of :func:`pair_geometry`.
    kind : (N,) int64
        Per primitive, a row/column of ``limit``.
    limit : (K, K) float64, metres
        Largest distance kept per pair of kinds (NaN: none).
    spread : (N,) float64, metres
        Per primitive, added to the limit (position uncertainty, or a margin).
    cap_a, cap_b : (n, 3) float64
        Capsule axes (primitives below ``n`` are capsules).
    slack : float, metres
        Added to every limit.
    regime_limit : (3, K, K) float64, metres, optional
        Largest distance kept per regime of two capsules (PARALLEL, CROSSING, STACKED), per pair of kinds.
    side_by_side_cos : float, 0..1
        |cos| at and above which two capsules run side by side (required with ``regime_limit``).

    Returns
    -------
    pairs, distance, witness_i, witness_j, abs_cos : the kept rows
    horizontal, vertical : (k,) float64, metres
    """
    kind = _i64(kind, (None,), "kind")
    pairs = _pairs_in_range(pairs, len(kind), len(kind), "pairs")
    limit = np.ascontiguousarray(np.atleast_2d(limit), dtype=np.float64)
    spread = _f64(spread, (len(kind),), "spread")
    cap_a, cap_b = np.ascontiguousarray(cap_a, np.float64), np.ascontiguousarray(cap_b, np.float64)
    if limit.ndim != 2 or limit.shape[0] != limit.shape[1]:
        raise ValueError(f"limit: expected a square (K, K) array, got shape {limit.shape}")
    if len(kind) and (kind.min() < 0 or kind.max() >= len(limit)):
        raise ValueError(f"kind: codes must lie in 0..{len(limit) - 1}")
    if len(distance) != len(pairs):
        raise ValueError(f"distance: expected {len(pairs)} rows, got {len(distance)}")
    keep = _near_mask(pairs, distance, kind, limit, spread, float(slack))
    rows = np.flatnonzero(keep)
    found = _gather_contacts(rows, pairs, distance, witness_i, witness_j, abs_cos, cap_a, cap_b)
    if regime_limit is None:
        return found
    regime_limit, side_by_side_cos = regime_limits(regime_limit, len(limit), side_by_side_cos)
    keep = _regime_mask(found[0], found[1], found[4], found[5], found[6], kind, regime_limit, spread,
                        len(cap_a), side_by_side_cos, float(slack))
    return tuple(np.take(column, np.flatnonzero(keep), axis=0) for column in found)


def regime_limits(regime_limit, kinds: int, side_by_side_cos) -> tuple[np.ndarray, float]:
    """A limit per regime of two capsules checked: ``(regime_limit, side_by_side_cos)`` as a C array of
    shape (3, kinds, kinds) and a float in [0, 1], or ValueError (the |cos| must come with the limits:
    without it the engine would classify regimes differently from the rules)."""
    regime_limit = np.ascontiguousarray(regime_limit, dtype=np.float64)
    if regime_limit.shape != (3, kinds, kinds):
        raise ValueError(f"regime limit: expected shape (3, {kinds}, {kinds}), got {regime_limit.shape}")
    if side_by_side_cos is None or not 0.0 <= float(side_by_side_cos) <= 1.0:
        raise ValueError(f"side_by_side_cos: expected a |cos| in [0, 1] with the regime limits, got {side_by_side_cos}")
    return regime_limit, float(side_by_side_cos)


# --------------------------------------------------------------------------- #
# Row-wise geometry for the rules: where on a primitive, how far from a point. #
# --------------------------------------------------------------------------- #


@njit(cache=True, inline="always", error_model="numpy")
def _witness_parameter(k, x, y, z, cap_a, cap_b, box_c, box_h, box_axes):
    """Where the witness ``(x, y, z)`` lies along primitive ``k``, 0..1 (see :func:`witness_parameters`)."""
    n_capsules, n_boxes = cap_a.shape[0], box_c.shape[0]
    value = 0.5
    if k < n_capsules:
        a0, a1, a2 = cap_a[k, 0], cap_a[k, 1], cap_a[k, 2]
        d0, d1, d2 = cap_b[k, 0] - a0, cap_b[k, 1] - a1, cap_b[k, 2] - a2
        length2 = d0 * d0 + d1 * d1 + d2 * d2
        if length2 > 0:
            value = ((x - a0) * d0 + (y - a1) * d1 + (z - a2) * d2) / length2
    elif k < n_capsules + n_boxes:
        k -= n_capsules
        along = (x - box_c[k, 0]) * box_axes[k, 0, 0] + (y - box_c[k, 1]) * box_axes[k, 0, 1] \
            + (z - box_c[k, 2]) * box_axes[k, 0, 2]
        value = 0.5 + along / (2 * box_h[k, 0])
    if value < 0.0:  # as np.clip, NaN stays NaN
        value = 0.0
    elif value > 1.0:
        value = 1.0
    return value


@njit(cache=True, nogil=True, error_model="numpy")
def witness_parameters(primitives, witness, cap_a, cap_b, box_c, box_h, box_axes):
    """Where each witness lies along its primitive, 0 at the start and 1 at the end.

    A capsule's witness is projected on its axis (0.5 for a capsule of zero length); a box's on
    its first axis (``0.5 + along / (2 h_0)``); a cylinder's is 0.5. Clipped to [0, 1]. One pass
    over the rows.

    Parameters
    ----------
    primitives : (p,) int64
        Primitive indices in the numbering [capsules | boxes | cylinders].
    witness : (p, 3) float64, metres (local)
    cap_a, cap_b : (n, 3) float64 ; box_c, box_h : (m, 3) float64 ; box_axes : (m, 3, 3) float64

    Returns
    -------
    (p,) float64
    """
    t = np.empty(primitives.shape[0])
    for u in range(primitives.shape[0]):
        t[u] = _witness_parameter(primitives[u], witness[u, 0], witness[u, 1], witness[u, 2], cap_a, cap_b, box_c,
                                  box_h, box_axes)
    return t


#: pair_hit_columns asks for the primitives of the hit this many rows ahead.
_HIT_PREFETCH_AHEAD = 8


@njit(cache=True, nogil=True, error_model="numpy")
def pair_hit_columns(rows, at, pairs, objects, witness_i, witness_j, distance, radius_i, radius_j, lateral_horizontal,
                     lateral_vertical, required, regime, chainage, cap_a, cap_b, box_c, box_h, box_axes,
                     along_route, along_object, tolerance):
    """The columns of the hits at contact ``rows``, in one pass (see :func:`vkls.rules.base.pair_hits`).

    Objects come out ordered (``a < b``). Where two primitives run side by side or stacked and
    ``along_route``, a hit covers the overlap of their chainage ranges; otherwise it sits at the
    witness on a capsule (for a capsule against a box or cylinder) or on the capsule with the
    longer chainage range (``along_object``: on object a's capsule).

    Parameters
    ----------
    rows : (h,) int64
        Contact rows, in ``required`` and ``regime``.
    at : (h,) int64
        The same rows in the contact columns (``rows`` itself, or where a rule's rows lie in all contacts).
    pairs, objects : (c, 2) int64
    witness_i, witness_j : (c, 3) float64, metres
    distance, radius_i, radius_j, lateral_horizontal, lateral_vertical : (c,) float64, metres
    required : (p,) float64, metres
    regime : (p,) int8
    chainage : (N, 2) float64, metres
        Per primitive [capsules | boxes | cylinders].
    cap_a, cap_b : (n, 3) float64 ; box_c, box_h : (m, 3) float64 ; box_axes : (m, 3, 3) float64
    along_route, along_object : bool
        How the scene measures chainage (``Scene.chainage_along``).
    tolerance : float, metres
        Height differences up to this are level.

    Returns
    -------
    object_a, object_b : (h,) int64
    required, actual, excess, start, end, chainage : (h,) float64, metres
    witness : (h, 3) float64, metres (the middle of the two witnesses)
    regime : (h,) int8
    horizontal, vertical : (h,) float64, metres (NaN where not a pair of directions)
    a_above_b : (h,) int8
    """
    n_capsules = cap_a.shape[0]
    h = rows.shape[0]
    object_a, object_b = np.empty(h, np.int64), np.empty(h, np.int64)
    kept_required, actual, excess = np.empty(h), np.empty(h), np.empty(h)
    start, end, point = np.empty(h), np.empty(h), np.empty(h)
    witness = np.empty((h, 3))
    kept_regime, a_above_b = np.empty(h, np.int8), np.empty(h, np.int8)
    horizontal, vertical = np.empty(h), np.empty(h)
    for u in range(h):
        if u + _HIT_PREFETCH_AHEAD < h:  # the primitives of a hit lie all over the scene: ask ahead
            ahead = at[u + _HIT_PREFETCH_AHEAD]
            for side in range(2):
                k = pairs[ahead, side]
                prefetch_row(chainage, k)
                if k < n_capsules:
                    prefetch_row(cap_a, k)
                    prefetch_row(cap_b, k)
        r, g = at[u], rows[u]
        pi, pj = pairs[r, 0], pairs[r, 1]
        oi, oj = objects[r, 0], objects[r, 1]
        swap = oi > oj
        object_a[u], object_b[u] = (oj, oi) if swap else (oi, oj)
        ci0, ci1, cj0, cj1 = chainage[pi, 0], chainage[pi, 1], chainage[pj, 0], chainage[pj, 1]
        capsule_i, capsule_j = pi < n_capsules, pj < n_capsules
        longer_is_i = capsule_i
        if capsule_i and capsule_j:
            longer_is_i = (not swap) if along_object else (ci1 - ci0) >= (cj1 - cj0)
        if longer_is_i:
            c0, c1 = ci0, ci1
            t = _witness_parameter(pi, witness_i[r, 0], witness_i[r, 1], witness_i[r, 2], cap_a, cap_b, box_c, box_h,
                                   box_axes)
        else:
            c0, c1 = cj0, cj1
            t = _witness_parameter(pj, witness_j[r, 0], witness_j[r, 1], witness_j[r, 2], cap_a, cap_b, box_c, box_h,
                                   box_axes)
        point[u] = c0 + t * (c1 - c0)
        first, last = max(ci0, cj0), min(ci1, cj1)
        kept_regime[u] = regime[g]
        if (regime[g] == PARALLEL or regime[g] == STACKED) and first <= last and along_route:
            start[u], end[u] = first, last
        else:
            start[u], end[u] = point[u], point[u]
        radii = radius_i[r] + radius_j[r]
        if regime[g] != NOT_APPLICABLE:
            horizontal[u], vertical[u] = lateral_horizontal[r] - radii, lateral_vertical[r] - radii
        else:
            horizontal[u], vertical[u] = np.nan, np.nan
        kept_required[u], actual[u] = required[g], distance[r]
        excess[u] = required[g] - distance[r]
        for q in range(3):
            witness[u, q] = (witness_i[r, q] + witness_j[r, q]) / 2
        dz = witness_j[r, 2] - witness_i[r, 2]  # j above i when positive
        i_above_j = 0
        if abs(dz) > tolerance:
            i_above_j = 1 if dz < 0 else -1
        a_above_b[u] = -i_above_j if swap else i_above_j
    return (object_a, object_b, kept_required, actual, excess, start, end, point, witness, kept_regime, horizontal,
            vertical, a_above_b)


@njit(cache=True, nogil=True)
def rows_of_kinds(kinds, judged):
    """The rows whose two kinds ``judged`` marks, ascending; ``None`` when a kind lies outside it.

    Parameters
    ----------
    kinds : (p, 2) int64
        Kind codes of both sides of each row.
    judged : (K, K) bool

    Returns
    -------
    (r,) int64 or None
    """
    size = judged.shape[0]
    rows = np.empty(kinds.shape[0], np.int64)
    n = 0
    for u in range(kinds.shape[0]):
        ki, kj = kinds[u, 0], kinds[u, 1]
        if not (0 <= ki < size and 0 <= kj < judged.shape[1]):
            return None
        if judged[ki, kj]:
            rows[n] = u
            n += 1
    return rows[:n].copy()


@njit(cache=True, nogil=True)
def kind_pair_counts(kinds, size):
    """(size, size) int64: how many rows have each pair of kind codes ``kinds (p, 2)``; ``None`` when a code
    lies outside ``0..size - 1``."""
    counts = np.zeros((size, size), np.int64)
    for u in range(kinds.shape[0]):
        ki, kj = kinds[u, 0], kinds[u, 1]
        if not (0 <= ki < size and 0 <= kj < size):
            return None
        counts[ki, kj] += 1
    return counts


@njit(cache=True, nogil=True)
def point_segment_distance_xy(points, point_rows, cap_a, cap_b, segment_rows):
    """(p,) horizontal distance from ``points[point_rows]`` (x, y) to the axes of the capsules
    ``segment_rows`` (their x, y), metres; a zero-length axis counts as its start point.

    Parameters
    ----------
    points : (k, 2) float64, metres
    point_rows, segment_rows : (p,) int64
    cap_a, cap_b : (n, 3) float64, metres
    """
    distance = np.empty(point_rows.shape[0])
    for u in range(point_rows.shape[0]):
        if u + _HIT_PREFETCH_AHEAD < point_rows.shape[0]:  # the segments lie all over the scene: ask ahead
            prefetch_row(cap_a, segment_rows[u + _HIT_PREFETCH_AHEAD])
            prefetch_row(cap_b, segment_rows[u + _HIT_PREFETCH_AHEAD])
        p, k = point_rows[u], segment_rows[u]
        px, py = points[p, 0], points[p, 1]
        ax, ay = cap_a[k, 0], cap_a[k, 1]
        dx, dy = cap_b[k, 0] - ax, cap_b[k, 1] - ay
        length2 = dx * dx + dy * dy
        t = 0.0
        if length2 > 0:
            t = ((px - ax) * dx + (py - ay) * dy) / length2
            t = min(max(t, 0.0), 1.0)
        distance[u] = math.hypot(px - (ax + t * dx), py - (ay + t * dy))
    return distance
