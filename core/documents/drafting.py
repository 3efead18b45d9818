"""The optional drafting provider (e.g. an LLM) behind an interface; off unless configured.

settings.DRAFTING_PROVIDER names a class ("package.module.Class") whose instances implement
DraftingProvider. Generation never depends on it: when it is unset, fails or is slow, the
deterministic matcher's suggestions stand alone.
"""

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("clm.drafting")


class DraftingProvider(Protocol):
    def suggest(self, *, instructions: str, clauses: list[dict], library: list[dict]) -> dict:
        """{clause_id: [{"clause_id": ..., "reason": ...}, ...]} using ids from `library`."""


def provider() -> DraftingProvider | None:
    path = getattr(settings, "DRAFTING_PROVIDER", None)
    return import_string(path)() if path else None


def extra_suggestions(*, instructions: str, clauses: list, library: list) -> dict:
    """The provider's suggestions restricted to real library clauses; {} on any failure."""
    chosen = provider()
    if chosen is None or not instructions:
        return {}
    by_id = {c.clause_id: c for c in library}

    def brief(c) -> dict:
        return {"clause_id": c.clause_id, "name": c.name, "category": c.category,
                "tags": c.tags, "content": c.content}

    try:
        raw = chosen.suggest(instructions=instructions, clauses=[brief(c) for c in clauses],
                             library=[brief(c) for c in library])
    except Exception:  # noqa: BLE001 - an optional helper must never break generation
        log.exception("drafting provider failed; using deterministic suggestions only")
        return {}
    result: dict[str, list[dict]] = {}
    for clause_id, items in (raw or {}).items():
        for item in items or []:
            match = by_id.get(str(item.get("clause_id", "")))
            if match is not None:
                result.setdefault(clause_id, []).append({
                    "clause_id": match.clause_id, "version": match.version, "name": match.name,
                    "tags": match.tags, "reason": str(item.get("reason", ""))[:500],
                })
    return result
