"""Conflict records (vkls.conflicts): the fast constructor gives the dataclass's own records."""

import dataclasses

import pytest

from vkls.conflicts import Conflict, _conflict

VALUES = dict(id="C-1", rule="clearance", objects=("a", "b"), kinds=("water", "warmte"), labels=("A", "B"),
              required=0.3, actual=0.1, chainage_start=1.0, chainage_end=2.0, chainage=1.5, x=1.0, y=2.0, z=-1.0,
              regime="parallel", horizontal=0.1, vertical=None, status="normative", source="NEN 7171",
              severity="normative", certainty="certain", a_above_b=0, explanation="why", baseline=None, norm=None)


def test_the_fast_constructor_makes_the_same_frozen_record():
    fast, checked = _conflict(dict(VALUES)), Conflict(**VALUES)
    assert fast == checked and hash(fast) == hash(checked)
    assert dataclasses.asdict(fast) == dataclasses.asdict(checked)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.actual = 0.0


def test_the_fast_constructor_refuses_a_missing_field():
    with pytest.raises(TypeError, match="baseline"):
        _conflict({k: v for k, v in VALUES.items() if k != "baseline"})
