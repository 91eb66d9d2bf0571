"""Orchestration of a check: street file -> model -> scene -> contacts -> rules -> conflicts."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from vkls import __version__
from vkls.conflicts import RUN_JOIN_FACTOR, Conflict, group_hits
from vkls.geometry.contacts import Contacts, find_contacts
from vkls.geometry.scene import Scene, build_scene
from vkls.io.street_toml import read_street
from vkls.model import Street
from vkls.rules import default_rules
from vkls.rules.loader import Norms, load_norms


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

    def summary(self) -> dict:
        """Counts per rule and severity, scene size and timings (seconds)."""
        by_rule: dict[str, int] = {}
        by_severity: dict[str, int] = {}
        for conflict in self.conflicts:
            by_rule[conflict.rule] = by_rule.get(conflict.rule, 0) + 1
            by_severity[conflict.severity] = by_severity.get(conflict.severity, 0) + 1
        return {
            "conflicts": len(self.conflicts), "by_rule": by_rule, "by_severity": by_severity,
            "objects": len(self.scene.objects), "capsules": self.scene.n_capsules, "boxes": self.scene.n_boxes,
            "trees": self.scene.n_cylinders, "candidate_pairs": int(len(self.contacts.pairs)),
            "seconds": {k: round(v, 4) for k, v in self.seconds.items()},
        }


def check(path: str, norm_files: tuple[str, ...] | list[str] = ()) -> CheckResult:
    """Check a street file against the norms.

    Parameters
    ----------
    path : str
        Street file (TOML).
    norm_files : sequence of str
        User norms files layered over the built-in ones, in order.

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
    street = read_street(path, norms)
    seconds = {"read": time.perf_counter() - clock}
    return check_street(street, norms, seconds)


def check_street(street: Street, norms: Norms, seconds: dict | None = None) -> CheckResult:
    """Check an already-read street (see :func:`check`)."""
    seconds = dict(seconds or {})
    clock = time.perf_counter()
    scene = build_scene(street, norms)
    seconds["scene"] = time.perf_counter() - clock
    rules = default_rules()
    clock = time.perf_counter()
    margins = np.max([rule.margins(scene, norms) for rule in rules], axis=0) if len(scene.objects) else np.zeros(0)
    contacts = find_contacts(scene, margins[scene.primitive_object])
    seconds["engine"] = time.perf_counter() - clock
    clock = time.perf_counter()
    join_gap = RUN_JOIN_FACTOR * max(street.segment_length, street.rack.post_spacing if street.rack else 0.0)
    conflicts: list[Conflict] = []
    for rule in rules:
        conflicts += group_hits(rule.evaluate(scene, contacts, norms), scene, rule, join_gap)
    conflicts.sort(key=lambda c: (c.chainage_start, c.rule, c.objects[0], c.objects[1] or "", c.id))
    seconds["rules"] = time.perf_counter() - clock
    return CheckResult(street=street, scene=scene, contacts=contacts, conflicts=conflicts,
                       norm_files=norms.files, seconds=seconds)
