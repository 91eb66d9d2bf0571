"""Orchestration of a check: street file -> model -> scene -> contacts -> rules -> conflicts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from vkls import __version__
from vkls.conflicts import RUN_JOIN_FACTOR, Conflict, group_hits
from vkls.geometry.contacts import Contacts, find_contacts
from vkls.geometry.scene import KIND_NAMES, Scene, build_map_scene, build_scene
from vkls.io.baseline import apply_baseline, read_baseline
from vkls.io.street_toml import read_street
from vkls.model import Street
from vkls.rules import default_rules, select_rules
from vkls.rules.loader import Norms, load_norms
from vkls.threads import worker_threads


@dataclass(frozen=True)
class CheckResult:
    """Everything a check produced, for reports and the viewer."""

    street: Street
    scene: Scene
    contacts: Contacts
    conflicts: list[Conflict]
    norm_files: tuple[str, ...]
    seconds: dict = field(default_factory=dict)
    version: str = __version__
    resolved: list = field(default_factory=list)
    baseline_file: str | None = None

    def summary(self) -> dict:
        """Counts per rule and severity, scene size and timings (seconds)."""
        by_rule: dict[str, int] = {}
        by_severity: dict[str, int] = {}
        by_baseline: dict[str, int] = {}
        for conflict in self.conflicts:
            by_rule[conflict.rule] = by_rule.get(conflict.rule, 0) + 1
            by_severity[conflict.severity] = by_severity.get(conflict.severity, 0) + 1
            if conflict.baseline:
                by_baseline[conflict.baseline] = by_baseline.get(conflict.baseline, 0) + 1
        baseline = {"file": self.baseline_file, **by_baseline, "resolved": len(self.resolved)} \
            if self.baseline_file else None
        return {
            "conflicts": len(self.conflicts),
            "certain": sum(c.certainty == "certain" for c in self.conflicts),
            "possible": sum(c.certainty == "possible" for c in self.conflicts),
            "by_rule": by_rule, "by_severity": by_severity, **({"baseline": baseline} if baseline else {}),
            "objects": len(self.scene.objects), "capsules": self.scene.n_capsules, "boxes": self.scene.n_boxes,
            "trees": self.scene.n_cylinders, "candidate_pairs": int(len(self.contacts.pairs)),
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }


def run_step(scene: Scene) -> float:
    """Largest step between the hits of one pair along a run, metres: the segment length (or the
    spacing of rack uprights) of a street; the longest segment of a map (clipped to 50 m)."""
    if scene.has_section:
        street = scene.street
        return max(street.segment_length, street.rack.post_spacing if street.rack else 0.0)
    if scene.n_capsules == 0:
        return 1.0
    return float(min(50.0, np.linalg.norm(scene.cap_b - scene.cap_a, axis=1).max()))


def rule_reach(norms: Norms, rules: list) -> np.ndarray:
    """(K, K) float64, metres: per pair of kind codes, the largest surface distance at which any of
    ``rules`` could flag two objects (NaN: no rule judges that pair of kinds)."""
    from vkls.rules.base import no_reach

    return np.fmax.reduce([no_reach()] + [rule.reach(norms) for rule in rules])


def rule_regime_reach(norms: Norms, rules: list) -> np.ndarray:
    """(3, K, K) float64, metres: per regime of two capsules (PARALLEL, CROSSING, STACKED) and pair of
    kind codes, the largest surface distance at which any of ``rules`` could flag them."""
    from vkls.rules.base import no_reach, regime_reach

    return np.fmax.reduce([np.repeat(no_reach()[None], 3, axis=0)] + [regime_reach(rule, norms) for rule in rules])


def paired_objects(scene: Scene, norms: Norms, rules: list) -> np.ndarray:
    """(objects,) bool: the objects that some of ``rules`` may flag in a pair (its reach names their
    kind and it judges them); the engine pairs no other object."""
    from vkls.rules.base import judged_kinds

    paired_kinds = np.zeros(len(KIND_NAMES), dtype=bool)  # rules that judge every object of their kinds
    by_object = []
    for rule in rules:
        pairs_kind = judged_kinds(rule, norms).any(axis=1)
        if not pairs_kind.any():
            continue
        if getattr(rule, "judged_objects", None) is None:
            paired_kinds |= pairs_kind
        else:
            by_object.append((pairs_kind, rule))
    paired = np.take(paired_kinds, scene.object_kind)
    for pairs_kind, rule in by_object:
        if (pairs_kind & ~paired_kinds).any():  # else every object of its kinds is paired already
            paired |= np.take(pairs_kind, scene.object_kind) & np.asarray(rule.judged_objects(scene), dtype=bool)
    return paired


def broad_phase_margins(scene: Scene, reach: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """(objects,) each object's share of the distance any rule may require, plus its position uncertainty.

    For any pair, margin_a + margin_b >= reach_ab + the pair's possible displacement, so
    the broad phase never misses a pair that a rule could flag, certain or possible.

    The reach is shared unevenly: the kinds with few segments in the scene take the whole
    distance, so that the many segments of the common kinds are enlarged only by what they
    need among themselves (see :func:`kind_margins`).

    Parameters
    ----------
    scene : Scene
    reach : (K, K) float64, metres
        From :func:`rule_reach`.
    spread : (objects,) float64, metres
        From :func:`position_spread`.
    """
    if not scene.objects:
        return np.zeros(0)
    margins = np.take(kind_margins(np.nan_to_num(reach, nan=0.0), _segments_per_kind(scene, len(reach))),
                      scene.object_kind)
    return margins + spread if spread.any() else margins


#: The segments per kind that weigh the margins are counted on a stride sample of this many primitives.
_KIND_SAMPLE = 1 << 14


def _segments_per_kind(scene: Scene, n_kinds: int) -> np.ndarray:
    """(K,) float64 how many primitives each kind has, counted on a stride sample of at most
    ``_KIND_SAMPLE`` of them and scaled up: only :func:`kind_margins` weighs with it, which keeps
    ``margin_a + margin_b >= reach`` whatever the weights, so a sample changes at most the speed
    (counting every primitive took 3 ms on 1.3e6 of them, a sample of 16,384 0.15 ms)."""
    n = len(scene.primitive_object)
    m = min(n, _KIND_SAMPLE)
    sample = scene.primitive_object[np.arange(m) * n // m]
    return np.bincount(scene.object_kind[sample], minlength=n_kinds) * (n / max(m, 1))


def position_spread(scene: Scene) -> np.ndarray:
    """(objects,) how far each object may lie from its drawn position, metres: hypot(accuracy xy, z)."""
    if scene.exact_positions:  # a design (hypot takes 1.4 ms on 338k objects)
        return np.zeros(len(scene.object_accuracy_xy))
    return np.hypot(scene.object_accuracy_xy, scene.object_accuracy_z)


def scene_contacts(scene: Scene, norms: Norms, rules: list, seconds: dict | None = None) -> Contacts:
    """Every primitive pair within the reach of some rule (broad phase + narrow phase + reach filter):
    a pair of capsules within the reach of some rule for the regime it is in (side by side, crossing,
    stacked), and only between objects that some rule judges."""
    from vkls.rules.clearance import side_by_side_cos

    reach, spread = rule_reach(norms, rules), position_spread(scene)
    return find_contacts(scene, broad_phase_margins(scene, reach, spread), reach, spread, seconds,
                         rule_regime_reach(norms, rules), side_by_side_cos(norms), paired_objects(scene, norms, rules))


def evaluate_rules(rules: list, scene: Scene, contacts: Contacts, norms: Norms) -> dict:
    """Each rule's hits on the contacts, ``{rule.id: Hits}`` in the order of ``rules``.

    Where numba may use two threads or more, the rules run in two threads (kept: :mod:`vkls.threads`):
    they are numpy and nogil kernels, which release the GIL for most of their work (on a
    1.3e6-segment city the five pairwise rules take 15 ms one after the other, 9-10 ms in two
    threads). The rules judging the most contact rows start first, so that the last one to finish
    is a short one. Every rule is a pure function of its inputs: the hits are the same either way.
    Rules that judge objects one by one (no pairs) have no such measure and start first.
    """
    import numba

    from vkls.geometry.kernels import kind_pair_counts
    from vkls.rules.base import judged_kinds

    rows = kind_pair_counts(np.ascontiguousarray(contacts.kinds, dtype=np.int64), len(KIND_NAMES))
    if rows is None:
        raise ValueError(f"contacts: kind codes outside 0..{len(KIND_NAMES) - 1}")
    if min(2, numba.get_num_threads(), len(rules)) <= 1:
        return {rule.id: rule.evaluate(scene, contacts, norms) for rule in rules}

    def judged_rows(rule) -> float:
        judged = judged_kinds(rule, norms)
        return float(rows[judged].sum()) if judged.any() else np.inf

    pool = worker_threads("rules")
    running = {rule.id: pool.submit(rule.evaluate, scene, contacts, norms)
               for rule in sorted(rules, key=judged_rows, reverse=True)}
    return {rule.id: running[rule.id].result() for rule in rules}


def kind_margins(reach: np.ndarray, counts: np.ndarray, rare_share: float = 0.05) -> np.ndarray:
    """Margins per kind with ``m_i + m_j >= reach_ij`` for every pair, small for the common kinds.

    Kinds with at most ``rare_share`` of the segments go first, the rarest first: each takes
    the whole distance to the kinds not yet given a margin and what is left of it
    (``reach_kj - m_j``) to those already given one. Then, from the most common kind down,
    each kind keeps only what its pairs still need (``max_j reach_kj - m_j``, and half its
    distance to its own kind). So a tree, rarer than any cable, carries the whole trunk
    distance, and a rare cable (medium voltage) only its clearance to the common cables.

    Parameters
    ----------
    reach : (K, K) float64, metres, symmetric, >= 0
    counts : (K,) float64
        Segments (primitives) per kind (weights; any non-negative numbers).

    Returns
    -------
    (K,) float64, metres
    """
    size = len(reach)
    margins = reach.max(axis=1, initial=0.0) / 2
    rare = counts <= rare_share * counts.sum()
    given = np.zeros(size, dtype=bool)
    for k in np.argsort(counts, kind="stable"):
        if not rare[k]:
            continue
        open_ = ~given
        open_[k] = False
        margins[k] = max(reach[k, k] / 2, float(reach[k, open_].max(initial=0.0)),
                         float((reach[k, given] - margins[given]).max(initial=0.0)))
        given[k] = True
    for k in np.argsort(-counts, kind="stable"):
        if rare[k]:
            continue
        others = np.delete(np.arange(size), k)
        margins[k] = max(reach[k, k] / 2, float((reach[k, others] - margins[others]).max(initial=0.0)))
    if not (margins[:, None] + margins[None, :] >= reach - 1e-12).all():  # cannot happen; keep the plain share
        return reach.max(axis=1, initial=0.0) / 2
    return margins


def drop_superseded(found: dict[str, list[Conflict]], rule, rules: list) -> list[Conflict]:
    """``rule``'s conflicts without the pairs that a more specific rule (one that supersedes it) flagged."""
    taken = {frozenset(c.objects) for other in rules if rule.id in other.supersedes for c in found[other.id]}
    if not taken:
        return found[rule.id]
    return [c for c in found[rule.id] if frozenset(c.objects) not in taken]


def check(path: str, norm_files: tuple[str, ...] | list[str] = (), baseline: str | None = None,
          rule_ids=None) -> CheckResult:
    """Check a street file against the norms.

    Parameters
    ----------
    path : str
        Street file (TOML).
    norm_files : sequence of str
        User norms files layered over the built-in ones, in order.
    baseline : str, optional
        An earlier JSON report: conflicts are marked new or persisting, and the
        earlier conflicts that are gone are listed as resolved.
    rule_ids : sequence of str, optional
        Run only these rules (default: every rule).

    Returns
    -------
    CheckResult

    Raises
    ------
    vkls.errors.InputError
        Bad input, named by file and place.
    """
    clock = time.perf_counter()
    norms = load_norms(tuple(norm_files))
    model = read_input(path, norms)
    earlier = read_baseline(baseline) if baseline else None
    seconds = {"read": time.perf_counter() - clock}
    result = check_street(model, norms, seconds, rules=select_rules(rule_ids))
    if earlier is None:
        return result
    marked, resolved = apply_baseline(result.conflicts, earlier)
    return replace(result, conflicts=marked, resolved=resolved, baseline_file=baseline)


MAP_SUFFIXES = (".zip", ".xml", ".gml")


def read_input(path: str, norms: Norms):
    """A street file (TOML) as a Street; a KLIC delivery (zip, GML) as a NetworkMap."""
    if str(path).lower().endswith(MAP_SUFFIXES):
        from vkls.io.klic import read_klic

        return read_klic(path, norms)
    return read_street(path, norms)


def check_street(street, norms: Norms, seconds: dict | None = None, rules: list | None = None) -> CheckResult:
    """Check an already-read Street or NetworkMap (see :func:`check`); ``rules`` defaults to every rule."""
    seconds = dict(seconds or {})
    clock = time.perf_counter()
    scene = build_scene(street, norms) if isinstance(street, Street) else build_map_scene(street, norms)
    seconds["scene"] = time.perf_counter() - clock
    rules = default_rules() if rules is None else rules
    clock = time.perf_counter()
    contacts = scene_contacts(scene, norms, rules)
    seconds["engine"] = time.perf_counter() - clock
    clock = time.perf_counter()
    join_gap = RUN_JOIN_FACTOR * run_step(scene)
    hits = evaluate_rules(rules, scene, contacts, norms)
    found = {rule.id: group_hits(hits[rule.id], scene, rule, join_gap) for rule in rules}
    conflicts = [c for rule in rules for c in drop_superseded(found, rule, rules)]
    conflicts.sort(key=lambda c: (c.chainage_start, c.rule, c.objects[0], c.objects[1] or "", c.id))
    seconds["rules"] = time.perf_counter() - clock
    return CheckResult(street=street, scene=scene, contacts=contacts, conflicts=conflicts,
                       norm_files=norms.files, seconds=seconds)
