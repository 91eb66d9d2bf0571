"""How two capsules lie to each other at their closest points: the regime of a contact.

- PARALLEL: their directions lie within the side-by-side angle of each other and their
  separation (without its part along the first capsule) is mostly horizontal;
- STACKED: as PARALLEL, but the separation is mostly vertical (VKLS rack levels);
- CROSSING: their directions differ by more than that angle;
- NOT_APPLICABLE: one side is not a capsule (a box, a cylinder), so there is no direction.

The rules take their required distance per regime; the engine uses the same regimes to drop
the pairs that no rule could flag in the regime they are in.
"""

from __future__ import annotations

import numpy as np

PARALLEL, CROSSING, STACKED, NOT_APPLICABLE = 0, 1, 2, 3
REGIME_NAMES = ("parallel", "crossing", "stacked", "n/a")
#: Regimes that a reach per regime covers, in this order: a (3, K, K) array is indexed by the codes.
CAPSULE_REGIMES = (PARALLEL, CROSSING, STACKED)
assert CAPSULE_REGIMES == (0, 1, 2), "the engine's kernels index (3, K, K) reach arrays by these codes"


def contact_regimes(abs_cos, horizontal, vertical, both_capsules, side_by_side_cos: float) -> np.ndarray:
    """Regime of every contact (see the module text).

    Parameters
    ----------
    abs_cos : (p,) float64
        |cos| of the angle between the two directions.
    horizontal, vertical : (p,) float64, metres
        The separation without its part along the first capsule, split (see
        :class:`vkls.geometry.contacts.Contacts`).
    both_capsules : (p,) bool
    side_by_side_cos : float
        |cos| at and above which two capsules run side by side.

    Returns
    -------
    (p,) int8
    """
    side_by_side = abs_cos >= side_by_side_cos
    regime = np.where(side_by_side, np.where(vertical > horizontal, STACKED, PARALLEL), CROSSING)
    return np.where(both_capsules, regime, NOT_APPLICABLE).astype(np.int8)
