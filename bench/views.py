"""The baseline of the overhead benchmark, and the query counter of the counting pass.

`bare_contracts` is the least a Django view can do to answer what GET /api/contracts/?limit=20
answers: the same 20 rows of the same table in the same order, as JSON, with the count, and no
authentication, tenant switch, permission check, rate limit or schema validation.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.http import HttpResponse
from psycopg import sql

_COLUMNS = (
    "id", "title", "contract_type", "status", "value", "currency", "counterparty",
    "start_date", "end_date", "created_by_id", "created_at", "updated_at",
)


def bare_contracts(request, schema: str):
    table = sql.Identifier(schema, "contracts_contract")
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: the composed SQL is passed as is
        raw.execute(
            sql.SQL("SELECT count(*) FROM {} WHERE deleted_at IS NULL").format(table)
        )
        count = raw.fetchone()[0]
        raw.execute(
            sql.SQL(
                "SELECT {} FROM {} WHERE deleted_at IS NULL "
                "ORDER BY created_at DESC, id DESC LIMIT 20"
            ).format(columns, table)
        )
        rows = [dict(zip(_COLUMNS, row, strict=True)) for row in raw.fetchall()]
    body = {"count": count, "next": None, "previous": None, "results": rows}
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), content_type="application/json")


class QueryCountMiddleware:
    """X-Bench-Queries and X-Bench-Set-Search-Path: statements this request sent, all of them
    (the tenant middleware's look-ups included) since it wraps the whole stack."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        counts = {"queries": 0, "set": 0}

        def count(execute, sql_text, params, many, context):
            counts["queries"] += 1
            if str(sql_text).lstrip().upper().startswith("SET SEARCH_PATH"):
                counts["set"] += 1
            return execute(sql_text, params, many, context)

        with connection.execute_wrapper(count):
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(counts["queries"])
        response["X-Bench-Set-Search-Path"] = str(counts["set"])
        return response
