"""Contract rules: the status machine and field constraints, free of I/O."""

from datetime import date
from decimal import Decimal

from core.contracts.models import ContractStatus as S
from core.errors import Conflict, ConflictingInput, InvalidInput

# Transitions a client may ask for with PUT; approved/rejected come only from approvals.
PUT_TRANSITIONS = {
    (S.DRAFT, S.PENDING),
    (S.PENDING, S.DRAFT),
    (S.REJECTED, S.DRAFT),
    (S.APPROVED, S.EXECUTED),
}
EDITABLE = {S.DRAFT, S.REJECTED}
DELETABLE = {S.DRAFT, S.REJECTED}
BUSINESS_FIELDS = (
    "title", "contract_type", "value", "currency", "counterparty", "start_date", "end_date",
)


def check_transition(current: str, requested: str) -> None:
    if current == requested:
        return
    if (current, requested) not in PUT_TRANSITIONS:
        raise InvalidInput(
            {"status": [f"Cannot change status from '{current}' to '{requested}'"]}
        )


def check_editable(status: str) -> None:
    if status not in EDITABLE:
        raise Conflict(f"A contract in status '{status}' cannot be edited")


def check_deletable(status: str) -> None:
    if status not in DELETABLE:
        raise Conflict(f"A contract in status '{status}' cannot be deleted")


def check_fields(
    *, value: Decimal | None, start_date: date | None, end_date: date | None
) -> None:
    if value is not None and value < 0:
        raise InvalidInput({"value": ["Value must be greater than or equal to 0"]})
    if start_date and end_date and end_date < start_date:
        raise ConflictingInput({"end_date": ["End date must be on or after the start date"]})
