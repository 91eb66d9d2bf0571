"""Hand-computed clearance cases, built as small street files."""

import pytest

from tests.conftest import base_street, network
from vkls.pipeline import check


def conflicts_of(path, rule="clearance", norms=()):
    return [c for c in check(path, norms).conflicts if c.rule == rule]


# Gas (d 0.11) and water (d 0.11) side by side at one depth: required 0.30 m parallel.
@pytest.mark.parametrize("gap, expected", [(0.30, 0), (0.2999, 1), (0.3001, 0), (0.31, 0), (0.10, 1)])
def test_parallel_gas_water_just_inside_and_just_outside_the_limit(street_file, gap, expected):
    body = (network("G", "gasLageDruk", offset=1.0, depth=0.8, diameter=0.11)
            + network("W", "water", offset=round(1.0 + 0.11 + gap, 10), depth=0.8, diameter=0.11))
    found = conflicts_of(street_file(body))
    assert len(found) == expected
    if expected:
        (conflict,) = found
        assert conflict.objects == ("G", "W")
        assert conflict.required == 0.30
        assert conflict.actual == pytest.approx(gap, abs=1e-9)
        assert conflict.regime == "parallel"
        assert conflict.horizontal == pytest.approx(gap, abs=1e-9)
        # consecutive hits along the 20 m route are one conflict, not twenty rows
        assert (conflict.chainage_start, conflict.chainage_end) == pytest.approx((0.0, 20.0))
        assert conflict.status == "practitioner"
        assert "gas (low pressure) G (test) runs 0.30 m beside drinking water W (test)" in conflict.explanation \
            or "runs 0.10 m beside" in conflict.explanation
        assert "required 0.30 m" in conflict.explanation and "norm-values.md table 7a" in conflict.explanation


def test_exact_touching_of_two_cables_is_not_a_hard_clash(street_file):
    # Two LV cables of one owner in separate networks, touching: default pair value applies
    # (0.20 m side by side), so they conflict on clearance, with actual exactly 0.0, not < 0.
    body = (network("A", "laagspanning", offset=1.0, depth=0.7, diameter=0.05)
            + network("B", "laagspanning", offset=1.05, depth=0.7, diameter=0.05))
    (conflict,) = conflicts_of(street_file(body))
    assert conflict.actual == pytest.approx(0.0, abs=1e-12)
    assert "overlaps" not in conflict.explanation


def test_overlap_of_two_kinds_is_the_full_penetration_depth(street_file):
    # LV cable (r 0.025) laid 0.03 m from the axis of a telecom duct (r 0.025): overlap 0.02 m
    body = (network("T", "datatransport", offset=2.0, depth=0.6, diameter=0.05)
            + network("L", "laagspanning", offset=2.03, depth=0.6, diameter=0.05))
    (conflict,) = conflicts_of(street_file(body))
    assert conflict.actual == pytest.approx(-0.02)
    assert "overlaps" in conflict.explanation


def test_co_axial_duplicate_is_one_duplicate_finding_not_an_overlap(street_file):
    body = (network("W1", "water", offset=2.0, depth=1.0, diameter=0.11)
            + network("W2", "water", offset=2.0, depth=1.0, diameter=0.11))
    result = check(street_file(body))
    assert [c.rule for c in result.conflicts if {"W1", "W2"} == set(c.objects)] == ["duplicate"]
    (duplicate,) = [c for c in result.conflicts if c.rule == "duplicate"]
    assert duplicate.actual == pytest.approx(0.0, abs=1e-12)
    assert (duplicate.chainage_start, duplicate.chainage_end) == pytest.approx((0.0, 20.0))
    assert "entered twice" in duplicate.explanation


def test_stacked_networks_use_the_crossing_value(street_file):
    # water 0.15 m straight above gas: required 0.20 m (crossing/vertical), regime stacked
    body = (network("W", "water", offset=2.0, depth=0.60, diameter=0.10)
            + network("G", "gasLageDruk", offset=2.0, depth=0.85, diameter=0.10))
    (conflict,) = conflicts_of(street_file(body))
    assert conflict.regime == "stacked"
    assert conflict.required == 0.20
    assert conflict.actual == pytest.approx(0.15)
    assert conflict.vertical == pytest.approx(0.15)


def test_house_connection_crossing_a_main_and_own_main_not_paired(street_file):
    # Water main at offset 2.2 (cover 1.0, axis 1.055); its connection runs at its own depth
    # towards the facade and crosses a gas main at offset 1.0 whose axis is at 0.905:
    # gap = 1.055 - 0.905 - 0.016 - 0.05 = 0.084 < 0.20 (gas-water crossing).
    body = (network("W", "water", offset=2.2, depth=1.0, diameter=0.11)
            + network("G", "gasLageDruk", offset=1.0, depth=0.855, diameter=0.10))
    extra = '[[connections]]\nnetworks = ["W"]\nspacing = 10.0\nstart = 5.0\ndiameter = 0.032\n'
    found = conflicts_of(street_file(body, extra))
    assert sorted(c.objects for c in found) == [("W/hc@15.0", "G"), ("W/hc@5.0", "G")] or \
        sorted(c.objects for c in found) == [("G", "W/hc@15.0"), ("G", "W/hc@5.0")]
    for conflict in found:
        assert conflict.regime == "crossing"
        assert conflict.actual == pytest.approx(0.084, abs=1e-9)
        assert conflict.chainage in (5.0, 15.0)
        assert "crosses" in conflict.explanation


def test_user_norms_override_a_pair_and_say_so(street_file, tmp_path):
    body = (network("G", "gasLageDruk", offset=1.0, depth=0.8, diameter=0.11)
            + network("W", "water", offset=1.36, depth=0.8, diameter=0.11))  # gap 0.25
    assert len(conflicts_of(street_file(body))) == 1
    mine = tmp_path / "mycity.toml"
    mine.write_text('[[clearance.pair]]\nkinds = ["water", "gasLageDruk"]\nparallel = 0.20\ncrossing = 0.10\n'
                    'status = "local"\nsource = "Gemeente X handboek K&L 2025, par. 3.2"\n')
    assert conflicts_of(street_file(body), norms=[str(mine)]) == []
    mine.write_text(mine.read_text().replace("0.20", "0.26"))
    (conflict,) = conflicts_of(street_file(body), norms=[str(mine)])
    assert conflict.status == "local" and "Gemeente X" in conflict.explanation


def test_conflict_ids_are_stable_between_runs_and_distinct(street_file):
    body = (network("G", "gasLageDruk", offset=1.0, depth=0.8, diameter=0.11)
            + network("W", "water", offset=1.3, depth=0.8, diameter=0.11)
            + network("T", "datatransport", offset=1.55, depth=0.8, diameter=0.05))
    first = {c.id: c.objects for c in check(street_file(body)).conflicts}
    second = {c.id: c.objects for c in check(street_file(body, name="again.toml")).conflicts}
    assert first == second and len(first) >= 2
    # moving T away changes T's conflicts but keeps the id of the gas-water conflict
    moved = {c.id: c.objects for c in check(street_file(body.replace("offset = 1.55", "offset = 3.55"),
                                                        name="moved.toml")).conflicts}
    gas_water = [i for i, objects in first.items() if set(objects) == {"G", "W"}]
    assert gas_water and all(i in moved for i in gas_water)


def test_network_resting_on_a_rack_beam_touches_it_without_conflict(street_file):
    body = network("T", "datatransport", diameter=0.05) + network("W", "water", diameter=0.11)
    extra = ('[rack]\noffset = 0.3\nwidth = 0.7\nbottom_depth = 1.4\n'
             '[[rack.levels]]\ndepth = 0.4\nnetworks = ["T"]\n[[rack.levels]]\ndepth = 0.9\nnetworks = ["W"]\n')
    result = check(street_file(body, extra, base=base_street("vkls")))
    assert result.conflicts == []
    scene, contacts = result.scene, result.contacts
    objects = scene.primitive_object
    beam = [k for k, o in enumerate(scene.objects) if o.id == "rack/beam-level-2"][0]
    water = [k for k, o in enumerate(scene.objects) if o.id == "W"][0]
    on_beam = ((objects[contacts.pairs[:, 0]] == water) & (objects[contacts.pairs[:, 1]] == beam))
    assert on_beam.any()
    assert contacts.distance[on_beam].min() == pytest.approx(0.0, abs=1e-9)


def test_cable_through_the_uprights_is_one_rack_conflict(street_file):
    body = network("T", "datatransport", diameter=0.05) + network("O", "openbareVerlichting", offset=0.33,
                                                                  depth=0.6, diameter=0.03)
    extra = '[rack]\noffset = 0.3\nwidth = 0.7\npost_spacing = 2.0\n[[rack.levels]]\ndepth = 0.4\nnetworks = ["T"]\n'
    found = conflicts_of(street_file(body, extra, base=base_street("vkls")))
    (conflict,) = found
    assert conflict.objects == ("O", "rack/posts@0.33")
    # the cable's axis runs inside the uprights: the kernel reports -radius for an axis inside a box
    assert conflict.actual == pytest.approx(-0.015)
    assert conflict.chainage_start == pytest.approx(1.0, abs=0.03)
    assert conflict.chainage_end == pytest.approx(19.0, abs=0.03)
