"""The rows a rule works on: only the contacts between kinds it judges."""

from dataclasses import fields

import numpy as np
import pytest

from vkls.pipeline import check
from vkls.rules import default_rules
from vkls.rules.base import judged_contacts, regime_reach
from vkls.rules.loader import load_norms


def pairwise_rules(norms):
    return [rule for rule in default_rules() if not np.isnan(rule.reach(norms)).all()]


@pytest.mark.parametrize("sample", ["samples/leiden-vkls.toml", "samples/conflicts-demo.toml"])
def test_a_rule_finds_the_same_hits_on_the_rows_it_judges_as_on_every_contact(sample, monkeypatch):
    import vkls.rules.clearance
    import vkls.rules.duplicates
    import vkls.rules.thermal
    import vkls.rules.trees

    result = check(sample)
    norms = load_norms(())
    rules = pairwise_rules(norms)
    assert {"clearance", "thermal", "tree-distance", "root-zone", "duplicate"} <= {rule.id for rule in rules}
    contacts = result.contacts
    subset = {rule.id: rule.evaluate(result.scene, contacts, norms) for rule in rules}
    for module in (vkls.rules.clearance, vkls.rules.duplicates, vkls.rules.thermal, vkls.rules.trees):
        monkeypatch.setattr(module, "judged_contacts", lambda rule, contacts, norms: contacts)
    found_any = 0
    for rule in rules:
        on_every = rule.evaluate(result.scene, contacts, norms)  # no subset: every contact
        found_any += len(on_every)
        for field in fields(on_every):
            a, b = getattr(on_every, field.name), getattr(subset[rule.id], field.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=f"{rule.id}.{field.name}")
            else:
                assert a == b, f"{rule.id}.{field.name}"
    assert found_any > 0


def test_judged_contacts_are_taken_only_when_they_are_under_half():
    result = check("samples/leiden-vkls.toml")
    norms = load_norms(())
    contacts = result.contacts
    by_rule = {rule.id: rule for rule in default_rules()}
    for rule_id in ("clearance", "tree-distance"):
        rule = by_rule[rule_id]
        judged = ~np.isnan(rule.reach(norms))
        keep = judged[contacts.kinds[:, 0], contacts.kinds[:, 1]]
        got = judged_contacts(rule, contacts, norms)
        if 2 * keep.sum() > len(keep):
            assert got is contacts
        else:
            np.testing.assert_array_equal(got.pairs, contacts.pairs[keep])
            np.testing.assert_array_equal(got.witness_j, contacts.witness_j[keep])
            np.testing.assert_array_equal(got.kinds, contacts.kinds[keep])
    assert judged_contacts(by_rule["tree-distance"], contacts, norms) is not contacts  # trees: a few rows


def test_contacts_taken_by_kind_keep_every_column_and_refuse_kinds_outside_the_table(small_city):
    from vkls.pipeline import scene_contacts

    scene, norms = small_city
    contacts = scene_contacts(scene, norms, pairwise_rules(norms))
    judged = np.zeros((contacts.kinds.max() + 1,) * 2, dtype=bool)
    judged[contacts.kinds[0, 0], contacts.kinds[0, 1]] = True  # the kinds of the first row: a share of them
    keep = judged[contacts.kinds[:, 0], contacts.kinds[:, 1]]
    assert 0 < keep.sum() < len(keep) / 2
    got = contacts.of_kinds(judged)
    again = got.take(np.array([2, 0, 5]))  # rows of rows: still read from the contacts themselves
    assert again.source is contacts and len(again) == 3
    for field in fields(contacts):
        np.testing.assert_array_equal(getattr(got, field.name), getattr(contacts, field.name)[keep], err_msg=field.name)
        np.testing.assert_array_equal(getattr(again, field.name), getattr(contacts, field.name)[keep][[2, 0, 5]])
    with pytest.raises(IndexError, match="kind codes outside"):
        contacts.of_kinds(judged[:-1, :-1])


def _pair_hits_numpy(rule, scene, contacts, mask, required, regime, entry, entries, uncertainty=None):
    """The numpy the kernel ``pair_hit_columns`` replaced (``pair_hits`` before), as the reference."""
    from vkls.geometry.tolerances import CONTACT_TOLERANCE
    from vkls.geometry.kernels import witness_parameters
    from vkls.rules.base import NOT_APPLICABLE, PARALLEL, STACKED, make_hits

    def witness_chainage(scene, primitives, witness):  # where on each primitive, as chainage
        chainage = np.take(scene.primitive_chainage, primitives, axis=0)
        t = witness_parameters(np.ascontiguousarray(primitives, dtype=np.int64),
                               np.ascontiguousarray(witness, dtype=np.float64), scene.cap_a, scene.cap_b,
                               scene.box_c, scene.box_h, scene.box_axes)
        return chainage[:, 0] + t * (chainage[:, 1] - chainage[:, 0])

    rows = np.flatnonzero(mask)
    pairs = contacts.pairs[rows]
    obj_i, obj_j = contacts.objects[rows, 0], contacts.objects[rows, 1]
    swap = obj_i > obj_j
    a, b = np.where(swap, obj_j, obj_i), np.where(swap, obj_i, obj_j)
    wi, wj = contacts.witness_i[rows], contacts.witness_j[rows]
    ci, cj = scene.primitive_chainage[pairs[:, 0]], scene.primitive_chainage[pairs[:, 1]]
    start, end = np.maximum(ci[:, 0], cj[:, 0]), np.minimum(ci[:, 1], cj[:, 1])
    capsule_i, capsule_j = pairs[:, 0] < scene.n_capsules, pairs[:, 1] < scene.n_capsules
    longer_is_i = np.where(capsule_i & capsule_j, (ci[:, 1] - ci[:, 0]) >= (cj[:, 1] - cj[:, 0]), capsule_i)
    if scene.chainage_along == "object":
        longer_is_i = np.where(capsule_i & capsule_j, ~swap, capsule_i)
    point = witness_chainage(scene, np.where(longer_is_i, pairs[:, 0], pairs[:, 1]),
                             np.where(longer_is_i[:, None], wi, wj))
    kept_regime = regime[rows]
    along = ((kept_regime == PARALLEL) | (kept_regime == STACKED)) & (start <= end) & (scene.chainage_along == "route")
    start, end = np.where(along, start, point), np.where(along, end, point)
    radii = contacts.radius_i[rows] + contacts.radius_j[rows]
    is_pair = kept_regime != NOT_APPLICABLE
    dz = wj[:, 2] - wi[:, 2]
    i_above_j = np.where(np.abs(dz) > CONTACT_TOLERANCE, np.where(dz < 0, 1, -1), 0)
    return make_hits(rule, a, b, required[rows], contacts.distance[rows], required[rows] - contacts.distance[rows],
                     start, end, (wi + wj) / 2, chainage=point, regime=kept_regime, entry=entry[rows],
                     entries=entries, uncertainty=np.zeros(len(rows)) if uncertainty is None else uncertainty[rows],
                     horizontal=np.where(is_pair, contacts.lateral_horizontal[rows] - radii, np.nan),
                     vertical=np.where(is_pair, contacts.lateral_vertical[rows] - radii, np.nan),
                     a_above_b=np.where(swap, -i_above_j, i_above_j))


@pytest.mark.parametrize("where", ["street", "city"])
def test_pair_hits_are_the_numpy_ones_to_the_bit(where, small_city):
    """Route chainage (a street: hits side by side cover the overlap) and object chainage (a city),
    every regime, random rows, limits and uncertainties, NaN limits."""
    from vkls.geometry.contacts import Contacts
    from vkls.pipeline import scene_contacts
    from vkls.rules.clearance import classify

    if where == "street":
        result = check("samples/conflicts-demo.toml")
        scene, norms, contacts = result.scene, load_norms(()), result.contacts
    else:
        scene, norms = small_city
        contacts = scene_contacts(scene, norms, pairwise_rules(norms))
    assert scene.chainage_along == ("route" if where == "street" else "object")
    rng = np.random.default_rng(21)
    regime = classify(scene, contacts, norms)
    assert {0, 1, 3} <= set(np.unique(regime).tolist())  # side by side, crossing, no direction (a tree)
    some = contacts.take(np.flatnonzero(rng.random(len(contacts)) < 0.7))  # a rule's rows, read where they lie
    plain = Contacts(*(getattr(some, field.name) for field in fields(Contacts)))
    for contacts, reference in ((contacts, contacts), (some, plain)):
        _assert_pair_hits_are_the_numpy_ones(scene, contacts, reference, classify(scene, reference, norms), rng)


def _assert_pair_hits_are_the_numpy_ones(scene, contacts, reference, regime, rng):
    from vkls.rules.base import pair_hits

    for _ in range(3):
        mask = rng.random(len(contacts)) < 0.6
        required = rng.uniform(-0.2, 1.5, len(contacts))
        required[rng.random(len(contacts)) < 0.1] = np.nan
        entry, uncertainty = rng.integers(0, 3, len(contacts)), rng.uniform(0, 0.3, len(contacts))
        for given in (uncertainty, None):
            got = pair_hits("r", scene, contacts, mask, required, regime, entry, ("a", "b", "c"), given)
            want = _pair_hits_numpy("r", scene, reference, mask, required, regime, entry, ("a", "b", "c"), given)
            assert len(got) == mask.sum() > 100
            for field in fields(got):
                a, b = getattr(got, field.name), getattr(want, field.name)
                if isinstance(a, np.ndarray):
                    assert a.dtype == b.dtype, field.name
                    np.testing.assert_array_equal(a, b, err_msg=field.name)
                else:
                    assert a == b, field.name


def test_a_rule_reach_per_regime_never_exceeds_its_reach():
    norms = load_norms(())
    for rule in pairwise_rules(norms):
        by_regime, reach = regime_reach(rule, norms), rule.reach(norms)
        assert by_regime.shape == (3,) + reach.shape
        np.testing.assert_array_equal(np.fmax.reduce(by_regime), reach, err_msg=rule.id)


def engine_and_plain_contacts(scene, norms, rules):
    """The contacts the pipeline hands the rules, and those within any rule's reach in any regime
    between any two objects (no reach per regime, no judged objects)."""
    from vkls.geometry.contacts import find_contacts
    from vkls.pipeline import (
        broad_phase_margins,
        position_spread,
        rule_reach,
        scene_contacts,
    )

    reach, spread = rule_reach(norms, rules), position_spread(scene)
    plain = find_contacts(scene, broad_phase_margins(scene, reach, spread), reach, spread)
    return scene_contacts(scene, norms, rules), plain


def assert_same_hits(scene, norms, rules, fewer, more):
    for rule in rules:
        got, expected = rule.evaluate(scene, fewer, norms), rule.evaluate(scene, more, norms)
        for field in fields(got):  # the rows kept stay in their order, and so do the hits
            a, b = getattr(got, field.name), getattr(expected, field.name)
            if isinstance(a, np.ndarray):
                np.testing.assert_array_equal(a, b, err_msg=f"{rule.id}.{field.name}")
            else:
                assert a == b, f"{rule.id}.{field.name}"


@pytest.mark.parametrize("sample", ["samples/leiden-vkls.toml", "samples/conflicts-demo.toml",
                                    "samples/leiden-nen7171.toml"])
def test_rules_flag_the_same_when_the_engine_keeps_only_pairs_within_the_reach_of_their_regime(sample):
    """The engine drops capsule pairs beyond every rule's reach for their regime (two stacked cables
    farther apart than the crossing distance); every rule must still flag exactly what it flags on
    all pairs within the reach of any regime."""
    result = check(sample)
    norms = load_norms(())
    rules = pairwise_rules(norms)
    fewer, more = engine_and_plain_contacts(result.scene, norms, rules)
    assert len(fewer) < len(more)  # some pairs are left out
    assert_same_hits(result.scene, norms, rules, fewer, more)


def test_rules_flag_the_same_on_a_city_where_the_engine_pairs_no_root_zone_behind_a_barrier(small_city):
    from vkls.geometry.scene import object_column
    from vkls.pipeline import paired_objects

    scene, norms = small_city
    rules = pairwise_rules(norms)
    paired = paired_objects(scene, norms, rules)
    barrier = object_column(scene, "role") == "root zone behind a barrier"
    assert barrier.any() and not paired[barrier].any() and paired[~barrier].all()
    fewer, more = engine_and_plain_contacts(scene, norms, rules)
    behind_barrier = barrier[more.objects].any(axis=1)
    assert behind_barrier.sum() > 100 and not barrier[fewer.objects].any()
    assert len(fewer) < len(more) - behind_barrier.sum()  # and some beyond the reach of their regime
    assert sum(len(rule.evaluate(scene, fewer, norms)) for rule in rules) > 100
    assert_same_hits(scene, norms, rules, fewer, more)


def test_objects_no_rule_judges_are_not_paired(small_city):
    from vkls.geometry.scene import IS_NETWORK, object_column
    from vkls.pipeline import paired_objects
    from vkls.rules import select_rules

    scene, norms = small_city
    main = object_column(scene, "role") == "main"
    assert main.any() and (~main).any()
    only_mains = paired_objects(scene, norms, select_rules(["duplicate"]))  # the same network entered twice
    np.testing.assert_array_equal(only_mains, main & IS_NETWORK[scene.object_kind])
    assert not paired_objects(scene, norms, select_rules(["cover-depth"])).any()  # a rule of single objects
