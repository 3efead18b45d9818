"""The contract as clients see it, shared by the API and the events it emits."""

# The model columns a payload is made of, in payload order. Pages read only these, as tuples
# (`contract_payload_from_row`): no model instance per row.
PAYLOAD_COLUMNS = (
    "id", "title", "contract_type", "status", "value", "currency", "counterparty",
    "start_date", "end_date", "created_by_id", "created_at", "updated_at",
)
_KEYS = tuple("created_by" if column == "created_by_id" else column for column in PAYLOAD_COLUMNS)


def contract_payload(c) -> dict:
    return contract_payload_from_row([getattr(c, column) for column in PAYLOAD_COLUMNS])


def contract_payload_from_row(row) -> dict:
    """The payload of a `values_list(*PAYLOAD_COLUMNS)` row."""
    payload = dict(zip(_KEYS, row, strict=True))
    payload["value"] = float(payload["value"])
    return payload
