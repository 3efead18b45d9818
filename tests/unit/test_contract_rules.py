"""The contract status machine and field rules, without I/O."""

from datetime import date
from decimal import Decimal

import pytest

from core.contracts import rules
from core.errors import Conflict, ConflictingInput, InvalidInput

STATUSES = ["draft", "pending", "approved", "rejected", "executed"]
ALLOWED = {("draft", "pending"), ("pending", "draft"), ("rejected", "draft"),
           ("approved", "executed")}


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("requested", STATUSES)
def test_transitions(current, requested):
    if current == requested or (current, requested) in ALLOWED:
        rules.check_transition(current, requested)
    else:
        with pytest.raises(InvalidInput) as exc:
            rules.check_transition(current, requested)
        assert "status" in exc.value.details


@pytest.mark.parametrize("status", STATUSES)
def test_only_draft_and_rejected_are_editable_and_deletable(status):
    if status in ("draft", "rejected"):
        rules.check_editable(status)
        rules.check_deletable(status)
    else:
        with pytest.raises(Conflict):
            rules.check_editable(status)
        with pytest.raises(Conflict):
            rules.check_deletable(status)


def test_field_rules():
    rules.check_fields(value=Decimal("0"), start_date=date(2026, 1, 1), end_date=date(2026, 1, 1))
    with pytest.raises(InvalidInput) as exc:
        rules.check_fields(value=Decimal("-1"), start_date=None, end_date=None)
    assert set(exc.value.details) == {"value"}
    # Valid one by one, contradictory together: 409 (the schema cannot say it).
    with pytest.raises(ConflictingInput) as exc:
        rules.check_fields(value=Decimal("1"), start_date=date(2026, 2, 1),
                           end_date=date(2026, 1, 1))
    assert set(exc.value.details) == {"end_date"}
