"""The samples' reports as golden files: a change in any rule shows up here, conflict by conflict.

Regenerate after an intended change with ``VKLS_UPDATE_GOLDEN=1 pytest tests/test_golden_reports.py``
and review the diff of ``tests/golden/``.
"""

import json
import os

import pytest

from tests.conftest import REPO, SAMPLES
from vkls.pipeline import check

GOLDEN = REPO / "tests" / "golden"
FIELDS = ("id", "rule", "objects", "regime", "required", "actual", "chainage_start", "chainage_end", "severity",
          "certainty")


def digest(path):
    result = check(str(path))
    return {"summary": {k: result.summary()[k] for k in ("conflicts", "certain", "possible", "by_rule")},
            "conflicts": [{k: c.as_dict()[k] for k in FIELDS} for c in result.conflicts]}


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.toml")))
def test_sample_report_matches_golden(sample):
    got = digest(SAMPLES / sample)
    golden = GOLDEN / sample.replace(".toml", ".json")
    if os.environ.get("VKLS_UPDATE_GOLDEN"):
        golden.write_text(json.dumps(got, indent=1) + "\n")
    expected = json.loads(golden.read_text())
    assert got["summary"] == expected["summary"]
    assert got["conflicts"] == expected["conflicts"]


def test_demo_triggers_every_rule():
    from vkls.rules import default_rules

    by_rule = check(str(SAMPLES / "conflicts-demo.toml")).summary()["by_rule"]
    assert {rule.id for rule in default_rules()} <= set(by_rule)
