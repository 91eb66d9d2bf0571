"""Compare a check with an earlier report: each conflict is new or persisting; the rest resolved."""

from __future__ import annotations

import json
from dataclasses import replace

from vkls.errors import InputError


def read_baseline(path: str) -> list[dict]:
    """The conflicts of an earlier JSON report (``vkls check ... -o old.json``).

    Raises
    ------
    InputError
        The file is missing, not JSON, or not a vkls report.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        raise InputError("baseline file not found", source=path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"not a JSON report ({error})", source=path) from None
    except RecursionError:
        raise InputError("not a JSON report (nested too deeply)", source=path) from None
    conflicts = document.get("conflicts") if isinstance(document, dict) else None
    if not isinstance(conflicts, list) or not all(isinstance(c, dict) and isinstance(c.get("id"), str)
                                                   for c in conflicts):
        raise InputError("not a vkls JSON report: expected a 'conflicts' list whose items have an 'id'",
                         source=path)
    return conflicts


def apply_baseline(conflicts: list, baseline: list[dict]) -> tuple[list, list[dict]]:
    """Mark conflicts ``new`` or ``persisting``; return them and the baseline conflicts now resolved."""
    old_ids = {c["id"] for c in baseline}
    current_ids = {c.id for c in conflicts}
    marked = [replace(c, baseline="persisting" if c.id in old_ids else "new") for c in conflicts]
    resolved = [dict(c, baseline="resolved") for c in baseline if c["id"] not in current_ids]
    return marked, resolved
