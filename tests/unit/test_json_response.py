"""The orjson fast path writes the same JSON as ninja's validated response would."""

import json
import uuid
from datetime import UTC, date, datetime

from ninja.responses import NinjaJSONEncoder

from api.pagination import json_response
from api.schemas.contracts import ContractDetailOut, ContractPageOut


def _contract(**extra) -> dict:
    return {
        "id": uuid.uuid4(), "title": "Å title \"quoted\"", "contract_type": "service",
        "status": "draft", "value": 1234.5, "currency": "USD", "counterparty": "",
        "start_date": date(2026, 1, 2), "end_date": None, "created_by": uuid.uuid4(),
        "created_at": datetime(2026, 1, 12, 11, 0, 0, 123456, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 12, 11, 0, 0, tzinfo=UTC), **extra,
    }


def _ninja(schema, body) -> object:
    return json.loads(json.dumps(schema.model_validate(body).model_dump(), cls=NinjaJSONEncoder))


def test_page_is_the_same_json_as_the_schema_validated_one():
    body = {"count": 2, "next": "/api/contracts/?offset=20", "previous": None,
            "results": [_contract(), _contract(value=0.1)]}
    response = json_response(body)
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content) == _ninja(ContractPageOut, body)


def test_detail_is_the_same_json_as_the_schema_validated_one():
    body = _contract(template_id=None, is_approved=True, approved_by=uuid.uuid4(),
                     approved_at=datetime(2026, 2, 1, 9, 30, 15, 999999, tzinfo=UTC),
                     executed_at=None, latest_version=None)
    assert json.loads(json_response(body).content) == _ninja(ContractDetailOut, body)
