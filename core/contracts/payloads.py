"""The contract as clients see it, shared by the API and the events it emits."""


def contract_payload(c) -> dict:
    return {
        "id": c.id,
        "title": c.title,
        "contract_type": c.contract_type,
        "status": c.status,
        "value": float(c.value),
        "currency": c.currency,
        "counterparty": c.counterparty,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "created_by": c.created_by_id,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
