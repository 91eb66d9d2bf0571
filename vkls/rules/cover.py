"""Cover depth: ground surface to the top of each main, against the minimum and maximum per kind.

``networks.<kind>.cover_min`` / ``cover_max``; a network on a VKLS rack uses
``cover.rack_min`` as its minimum (the protection plate replaces soil cover). The
gravity sewer also has an invert rule (``sewer-invert``): the depth of the pipe's
underside (outer wall; the wall thickness is not modelled) between ``invert_min`` and
``invert_max``. House connections are not checked here: they rise to the facade by design.
Objects whose depth is unknown (accuracy of ``UNKNOWN_DEPTH_ACCURACY`` or worse, such as a KLIC
line that only has its network's standard depth) are not judged: their depth is an assumption.
"""

from __future__ import annotations

import numpy as np

from vkls.geometry.scene import KIND_CODE, KIND_NAMES, object_column, objects_with_role
from vkls.model import NetworkKind
from vkls.rules.base import Hits, make_hits, might_violate, no_reach
from vkls.rules.text import at_chainage, metres, provenance


#: A depth accuracy of this much or worse (metres) means the depth is not known but assumed
#: (KLIC class "onbekend", or a network's standard depth): cover rules do not judge it.
UNKNOWN_DEPTH_ACCURACY = 1.0


def _mains(scene):
    """Capsule indices that belong to network mains of known depth, with their object index."""
    main = objects_with_role(scene, "main") & (scene.object_accuracy_z < UNKNOWN_DEPTH_ACCURACY)
    capsules = np.flatnonzero(main[scene.cap_object]) if scene.n_capsules else np.zeros(0, dtype=np.int64)
    return capsules, scene.cap_object[capsules]


def _limit_hits(rule_id, scene, capsules, objects, value, limits, entries, entry_index, is_minimum, witness,
                uncertainty) -> Hits:
    """Hits where ``value`` passes the per-row ``limits`` (below a minimum or above a maximum)."""
    excess = (limits - value) if is_minimum else (value - limits)
    keep = np.isfinite(limits) & might_violate(excess, uncertainty)
    chainage = scene.cap_chainage[capsules[keep]]
    return make_hits(rule_id, objects[keep], np.full(keep.sum(), -1), limits[keep], value[keep], excess[keep],
                     chainage[:, 0], chainage[:, 1], witness[keep], entry=entry_index[keep], entries=entries,
                     uncertainty=uncertainty[keep])


def _per_kind(norms, scene, objects, key: str, entries: list) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the ``networks.<kind>.<key>`` value of the row's object kind (NaN where unset) and
    its index in ``entries`` (appended to as needed)."""
    by_code = np.full(len(KIND_NAMES), np.nan)
    index_by_code = np.zeros(len(KIND_NAMES), dtype=np.int64)
    for code, kind in enumerate(KIND_NAMES):
        entry = norms.optional(f"networks.{kind}.{key}")
        if entry is not None:
            entries.append(entry)
            by_code[code], index_by_code[code] = entry.value, len(entries) - 1
    codes = scene.object_kind[objects]
    return by_code[codes].copy(), index_by_code[codes].copy()


class CoverDepthRule:
    """Minimum and maximum cover over every network main."""

    id = "cover-depth"
    title = "Cover depth (ground to top of the cable or pipe), minimum and maximum per kind"
    supersedes: tuple[str, ...] = ()
    key_min, key_max, measure = "cover_min", "cover_max", "cover"

    def reach(self, norms) -> np.ndarray:
        return no_reach()

    def _values(self, scene, capsules):
        ground = scene.ground_level
        z_a, z_b, r = scene.cap_a[capsules, 2], scene.cap_b[capsules, 2], scene.cap_r[capsules]
        shallow_top = np.maximum(z_a, z_b) + r
        deep_top = np.minimum(z_a, z_b) + r
        point = np.where((z_a >= z_b)[:, None], scene.cap_a[capsules], scene.cap_b[capsules])
        deep_point = np.where((z_a < z_b)[:, None], scene.cap_a[capsules], scene.cap_b[capsules])
        return ground - shallow_top, ground - deep_top, point, deep_point

    def evaluate(self, scene, contacts, norms) -> Hits:
        capsules, objects = _mains(scene)
        if len(capsules) == 0:
            return Hits.empty(self.id)
        shallowest, deepest, top_point, deep_point = self._values(scene, capsules)
        on_rack = object_column(scene, "on_rack")[objects].astype(bool)
        entries: list = []
        minimum, min_index = _per_kind(norms, scene, objects, self.key_min, entries)
        maximum, max_index = _per_kind(norms, scene, objects, self.key_max, entries)
        rack_min = norms.get("cover.rack_min")
        if on_rack.any():
            entries.append(rack_min)
            minimum[on_rack], min_index[on_rack] = rack_min.value, len(entries) - 1
        uncertainty = scene.object_accuracy_z[objects]
        too_shallow = _limit_hits(self.id, scene, capsules, objects, shallowest, minimum, tuple(entries), min_index,
                                  True, top_point, uncertainty)
        too_deep = _limit_hits(self.id, scene, capsules, objects, deepest, maximum, tuple(entries), max_index,
                               False, deep_point, uncertainty)
        return Hits.concatenate(self.id, [too_shallow, too_deep])

    def explain(self, conflict) -> str:
        (network, _) = conflict.labels
        if conflict.actual < conflict.required:
            return (f"{network} lies {metres(conflict.actual)} deep (ground to top) {at_chainage(conflict)}; "
                    f"at least {metres(conflict.required)} required ({provenance(conflict)}).")
        return (f"{network} lies {metres(conflict.actual)} deep (ground to top) {at_chainage(conflict)}; "
                f"at most {metres(conflict.required)} expected ({provenance(conflict)}).")


class SewerInvertRule(CoverDepthRule):
    """Depth of the gravity sewer's underside, minimum and maximum."""

    id = "sewer-invert"
    title = "Gravity sewer invert depth (ground to the pipe's underside), minimum and maximum"

    def evaluate(self, scene, contacts, norms) -> Hits:
        capsules, objects = _mains(scene)
        sewer = scene.object_kind[objects] == KIND_CODE[NetworkKind.RIOOL_VRIJVERVAL.value]
        capsules, objects = capsules[sewer], objects[sewer]
        if len(capsules) == 0:
            return Hits.empty(self.id)
        ground = scene.ground_level
        z_a, z_b, r = scene.cap_a[capsules, 2], scene.cap_b[capsules, 2], scene.cap_r[capsules]
        high_invert, low_invert = ground - (np.maximum(z_a, z_b) - r), ground - (np.minimum(z_a, z_b) - r)
        point = (scene.cap_a[capsules] + scene.cap_b[capsules]) / 2
        uncertainty = scene.object_accuracy_z[objects]
        parts = []
        for key, value, is_minimum in (("invert_min", high_invert, True), ("invert_max", low_invert, False)):
            entry = norms.optional(f"networks.{NetworkKind.RIOOL_VRIJVERVAL.value}.{key}")
            if entry is None:
                continue
            limits = np.full(len(capsules), entry.value)
            parts.append(_limit_hits(self.id, scene, capsules, objects, value, limits, (entry,),
                                     np.zeros(len(capsules), np.int64), is_minimum, point, uncertainty))
        return Hits.concatenate(self.id, parts)

    def explain(self, conflict) -> str:
        (network, _) = conflict.labels
        bound = "at least" if conflict.actual < conflict.required else "at most"
        return (f"the underside of {network} lies {metres(conflict.actual)} deep {at_chainage(conflict)}; "
                f"{bound} {metres(conflict.required)} expected ({provenance(conflict)}).")

