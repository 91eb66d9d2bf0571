"""Fixtures of the viewer tests: a fixed street (geometry only) with hand-made conflicts.

The reference pictures depend on the scene geometry and the viewer, not on the rules: the
conflicts are made here, so a new rule or a changed norm value does not change them.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

DATA = Path(__file__).parent / "data"
STREET = DATA / "street.toml"


def fake_conflict(scene, conflict_id, rule, objects, chainage, offset, depth, required, actual, start=None, end=None,
                  regime="parallel"):
    """A conflict-like record at (chainage, offset from the facade, depth below ground)."""
    xy = scene.alignment.place(np.array([chainage]), np.array([offset]))[0] + scene.alignment.origin
    pair = " and ".join(objects)
    return SimpleNamespace(
        id=conflict_id, rule=rule, objects=tuple(objects), kinds=(None, None), labels=(None, None),
        required=required, actual=actual, chainage=chainage,
        chainage_start=chainage if start is None else start, chainage_end=chainage if end is None else end,
        x=float(xy[0]), y=float(xy[1]), z=scene.alignment.ground_level - depth, regime=regime,
        severity="practitioner", explanation=f"{pair}: {actual:.2f} m apart, {required:.2f} m required (test).")


@pytest.fixture(scope="session")
def test_street():
    """(street, scene, conflicts) of ``data/street.toml`` with three hand-made conflicts."""
    from vkls.geometry.scene import build_scene
    from vkls.io.street_toml import read_street
    from vkls.rules.loader import load_norms

    norms = load_norms()
    street = read_street(str(STREET), norms)
    scene = build_scene(street, norms)
    length = scene.alignment.length
    conflicts = [
        fake_conflict(scene, "C-test0001", "clearance", ("G1", "M1"), 8.0, 1.9, 0.95, 0.50, 0.42, 0.0, length),
        fake_conflict(scene, "C-test0002", "clearance", ("W1/hc@15.0", "G1"), 15.0, 1.6, 0.88, 0.30, 0.05,
                      regime="crossing"),
        fake_conflict(scene, "C-test0003", "tree-distance", ("M1", "B1"), 12.0, 2.2, 0.94, 2.0, 1.8, 11.0, 13.0,
                      regime="n/a"),
    ]
    return street, scene, conflicts

