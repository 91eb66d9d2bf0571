"""The broad-phase margins shared out per kind (vkls.pipeline)."""

import numpy as np
import pytest

from vkls.pipeline import kind_margins, rule_reach
from vkls.rules import default_rules
from vkls.rules.loader import load_norms


@pytest.mark.parametrize("seed", range(20))
def test_kind_margins_cover_every_pair_of_kinds(seed):
    rng = np.random.default_rng(seed)
    size = 9
    reach = rng.uniform(0, 2.5, (size, size))
    reach = np.maximum(reach, reach.T) * (rng.random((size, size)) < 0.7)
    reach = np.maximum(reach, reach.T)
    counts = rng.integers(0, 1000, size) * (rng.random(size) < 0.8)
    margins = kind_margins(reach, counts.astype(float))
    assert (margins >= 0).all()
    assert (margins[:, None] + margins[None, :] >= reach - 1e-12).all()


def test_a_rare_tree_carries_the_trunk_distance_and_a_rare_cable_only_its_clearance():
    # kinds: two common cables, a rare medium-voltage cable, trees (rarer still)
    reach = np.array([[0.2, 0.3, 0.5, 2.5],
                      [0.3, 0.2, 0.2, 2.5],
                      [0.5, 0.2, 0.2, 2.5],
                      [2.5, 2.5, 2.5, 0.0]])
    margins = kind_margins(reach, np.array([5000.0, 4000.0, 100.0, 50.0]))
    np.testing.assert_allclose(margins, [0.1, 0.2, 0.5, 2.5])


def test_rule_reach_is_the_largest_distance_of_any_rule_and_nan_where_none_applies():
    norms = load_norms(())
    rules = default_rules()
    reach = rule_reach(norms, rules)
    every = np.array([rule.reach(norms) for rule in rules])
    np.testing.assert_array_equal(np.isnan(reach), np.isnan(every).all(axis=0))
    np.testing.assert_array_equal(np.nan_to_num(reach, nan=-1), np.nan_to_num(np.nanmax(
        np.where(np.isnan(every), -np.inf, every), axis=0), nan=-1, neginf=-1))


def test_segments_per_kind_are_exact_up_to_the_sample_and_close_beyond(monkeypatch):
    from types import SimpleNamespace

    from vkls import pipeline

    rng = np.random.default_rng(3)
    object_kind = rng.integers(0, 5, 2000)
    primitive_object = np.sort(rng.integers(0, 2000, 50_000))
    scene = SimpleNamespace(object_kind=object_kind, primitive_object=primitive_object)
    exact = np.bincount(object_kind[primitive_object], minlength=7)
    monkeypatch.setattr(pipeline, "_KIND_SAMPLE", 50_000)
    np.testing.assert_array_equal(pipeline._segments_per_kind(scene, 7), exact)  # all of them in the sample
    monkeypatch.setattr(pipeline, "_KIND_SAMPLE", 5_000)
    sampled = pipeline._segments_per_kind(scene, 7)
    assert sampled.sum() == pytest.approx(len(primitive_object))
    np.testing.assert_allclose(sampled / len(primitive_object), exact / len(primitive_object), atol=0.02)


@pytest.mark.parametrize("threads", [1, 2])
def test_rules_in_two_threads_give_each_rule_its_hits_as_one_after_the_other(small_city, threads):
    from dataclasses import fields

    import numba

    from vkls.pipeline import evaluate_rules, scene_contacts

    scene, norms = small_city
    rules = default_rules()
    contacts = scene_contacts(scene, norms, rules)
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        found = evaluate_rules(rules, scene, contacts, norms)
    finally:
        numba.set_num_threads(previous)
    assert list(found) == [rule.id for rule in rules]
    assert sum(len(hits) for hits in found.values()) > 100  # the city has conflicts of many rules
    for rule in rules:
        alone = rule.evaluate(scene, contacts, norms)
        for column in fields(alone):
            got, want = getattr(found[rule.id], column.name), getattr(alone, column.name)
            if isinstance(want, np.ndarray):
                np.testing.assert_array_equal(got, want, err_msg=f"{rule.id}.{column.name}")
            else:
                assert got == want, f"{rule.id}.{column.name}"


def test_rules_in_threads_refuse_contacts_with_kind_codes_they_do_not_know(small_city):
    from vkls.geometry.contacts import Contacts
    from vkls.pipeline import evaluate_rules, scene_contacts

    scene, norms = small_city
    rules = default_rules()
    contacts = scene_contacts(scene, norms, rules)
    kinds = contacts.kinds.copy()
    kinds[7, 1] = 99
    bad = Contacts(**{**{name: getattr(contacts, name) for name in contacts.__dataclass_fields__}, "kinds": kinds})
    with pytest.raises(ValueError, match="kind codes outside"):
        evaluate_rules(rules, scene, bad, norms)
