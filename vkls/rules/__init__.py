"""Rules: one module per kind of rule, all with the interface of :class:`vkls.rules.base.Rule`."""

from __future__ import annotations

from collections.abc import Iterable


def default_rules() -> list:
    """The rules a check runs, in report order."""
    from vkls.rules.access import AccessRule
    from vkls.rules.bend import BendRadiusRule
    from vkls.rules.clearance import ClearanceRule
    from vkls.rules.cover import CoverDepthRule, SewerInvertRule
    from vkls.rules.duplicates import DuplicateRule
    from vkls.rules.order import OrderRule
    from vkls.rules.reservations import ReservationRule
    from vkls.rules.thermal import ThermalRule
    from vkls.rules.trees import RootZoneRule, TreeTrunkRule

    return [ClearanceRule(), ThermalRule(), DuplicateRule(), CoverDepthRule(), SewerInvertRule(), OrderRule(),
            TreeTrunkRule(), RootZoneRule(), BendRadiusRule(), AccessRule(), ReservationRule()]


def select_rules(rule_ids: Iterable[str] | None) -> list:
    """The default rules, or those named (in report order).

    Raises
    ------
    InputError
        An unknown rule id (the message lists the known ones).
    """
    from vkls.errors import InputError
    rules = default_rules()
    if not rule_ids:
        return rules
    known = {rule.id for rule in rules}
    unknown = [r for r in rule_ids if r not in known]
    if unknown:
        raise InputError(f"unknown rule {unknown[0]!r}; known rules: {', '.join(sorted(known))}", place="--rule")
    wanted = set(rule_ids)
    return [rule for rule in rules if rule.id in wanted]
