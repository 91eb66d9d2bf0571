"""Rules: one module per kind of rule, all with the interface of :class:`vkls.rules.base.Rule`."""

from __future__ import annotations


def default_rules() -> list:
    """The rules a check runs, in report order."""
    from vkls.rules.clearance import ClearanceRule
    from vkls.rules.trees import TreeTrunkRule

    return [ClearanceRule(), TreeTrunkRule()]
