"""Named tolerances of the geometry engine, each with its reason.

The touching policy of vkls (documented in the README, "Tolerance policy"):

- Distances are computed in float64 on coordinates relative to a local origin
  (the first route vertex), so RD New coordinates (~1e5 m) lose no precision.
- Two objects whose surface-to-surface distance equals the required distance
  are *touching the limit*: that is not a conflict. A conflict needs
  ``actual < required - CONTACT_TOLERANCE``.
- Reported distances are rounded to ``REPORT_DECIMALS`` decimals (millimetres);
  rounding happens only in reports, never before a comparison.
"""

#: Surface-to-surface distances within this many metres of the required value
#: count as "at the limit", not as a violation. One micrometre is far below any
#: survey or construction accuracy (KLIC classes are 0.3-1.0 m) and far above
#: float64 round-off on coordinates of a few kilometres (~1e-12 m).
CONTACT_TOLERANCE = 1e-6

#: Squared segment lengths below this are treated as points (zero-length
#: segments). (1e-9 m)^2: a segment shorter than a nanometre has no direction.
DEGENERATE_LENGTH_SQUARED = 1e-18

#: Relative tolerance on sin^2 of the angle between two segment directions under
#: which Ericson's closest-point routine treats them as parallel.
PARALLEL_SIN2 = 1e-12

#: Decimals of metres shown in reports (1 mm).
REPORT_DECIMALS = 3

#: Relative outward rounding of axis-aligned bounding boxes (broad phase).
#: ``lo``/``hi`` are widened by this fraction of ``max(1 m, |coordinate|)`` so
#: that the <= 3 float64 roundings in building a bound (each <= 1.1e-16
#: relative) can never shrink a box below the exact one: a pair whose exact
#: enlarged boxes touch is always a candidate. 1e-14 is ~45 ulp; at RD New
#: coordinates (~5e5 m) it is 5e-9 m, far below any clearance.
AABB_ROUNDING_PAD_RELATIVE = 1e-14

#: Stopping width, as a fraction of the segment parameter range [0, 1], of the
#: golden-section search used for the capsule-to-vertical-cylinder distance
#: when no closed form applies. The distance to a convex set is 1-Lipschitz,
#: so the distance error is at most this times the segment length
#: (1e-12 * 1000 m = 1e-9 m for the longest plausible segment).
CYLINDER_SEARCH_T_TOLERANCE = 1e-12
