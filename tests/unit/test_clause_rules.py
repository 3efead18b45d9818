"""Clause rules and the suggestion matcher, free of I/O."""

from decimal import Decimal
from types import SimpleNamespace

import pytest

from core.clauses import rules
from core.clauses.suggest import suggest


def clause(clause_id, category, tags=(), name=None, **extra):
    defaults = {"version": 1, "is_active": True, "contract_types": [], "alternatives": [],
                "conflicts_with": [], "mandatory_rule": None, "content": "x"}
    return SimpleNamespace(clause_id=clause_id, category=category, tags=list(tags),
                           name=name or category.title(), **{**defaults, **extra})


TERM = clause("TERM-001", "termination", ["standard"], alternatives=["TERM-009"])
STRICT = clause("TERM-009", "termination", ["strict"])
LENIENT = clause("TERM-010", "termination", ["lenient"])
CONF = clause("CONF-001", "confidentiality", ["standard"])
CONF_STRICT = clause("CONF-002", "confidentiality", ["strict"])
LIBRARY = [TERM, STRICT, LENIENT, CONF, CONF_STRICT]


@pytest.mark.parametrize(
    ("instructions", "expected"),
    [
        ("Make termination clause stricter", {"TERM-001": ["TERM-009"]}),
        ("more lenient termination please", {"TERM-001": ["TERM-010"]}),
        ("stricter", {"TERM-001": ["TERM-009"], "CONF-001": ["CONF-002"]}),
        ("tighter confidentiality", {"CONF-001": ["CONF-002"]}),
        ("fix the typo in termination", {}),
        ("", {}),
    ],
)
def test_suggestions_follow_tone_and_topic(instructions, expected):
    result = suggest(instructions=instructions, chosen=[TERM, CONF], library=LIBRARY,
                     contract_type="MSA")
    assert {k: [s["clause_id"] for s in v] for k, v in result.items()} == expected


def test_suggestions_skip_clauses_already_chosen_or_not_applicable():
    nda_only = clause("TERM-011", "termination", ["strict"], contract_types=["NDA"])
    result = suggest(instructions="stricter termination", chosen=[TERM, STRICT],
                     library=[*LIBRARY, nda_only], contract_type="MSA")
    assert result == {}


def test_parse_ref():
    assert rules.parse_ref(" conf-001 ") == ("CONF-001", None)
    assert rules.parse_ref("CONF-001@3") == ("CONF-001", 3)
    for bad in ("CONF-001@0", "CONF", "C ONF-1", "CONF-001@x"):
        with pytest.raises(ValueError):
            rules.parse_ref(bad)


def test_conflicts_are_symmetric_and_reported_once():
    a = clause("LIAB-001", "liability", conflicts_with=["LIAB-002"])
    b = clause("LIAB-002", "liability", conflicts_with=["LIAB-001"])
    result = rules.evaluate(refs=[("LIAB-001", None), ("LIAB-002", None)], contract_type="MSA",
                            value=Decimal(0), latest={"LIAB-001": a, "LIAB-002": b}, pinned={},
                            rule_clauses=[])
    assert result.errors == ["Conflicting clauses: LIAB-001, LIAB-002"]
