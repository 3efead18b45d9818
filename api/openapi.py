"""OpenAPI truths the operations' signatures do not carry: error responses, query names, NUL.

Error responses: most codes follow from the operation's shape (security -> 401/403, a path
parameter -> 404, a body -> 409/413/415); an operation that answers others declares them with
`errors(...)`. Query parameters an operation does not declare are refused (400), as the
document implies, and no string may carry a NUL character (PostgreSQL cannot store one).
"""

import re
from functools import cache

from ninja.errors import ValidationError

ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "detail": {"type": "string"}},
    "required": ["error"],
}
VALIDATION_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "details": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
        "detail": {"type": "string"},
    },
    "required": ["error"],
}
_DESCRIPTIONS = {
    400: "Invalid input: the request breaks this schema",
    401: "Authentication required",
    403: "Permission denied",
    404: "Resource not found",
    409: "Conflict: with the resource's current state or stored data (unknown roles, a "
         "taken email), or between fields the schema allows one by one (end before start)",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
}
_BODY_METHODS = {"post", "put", "patch"}
_ERROR_COMPONENTS = {"Error", "ValidationError", "ErrorOut"}
# Django route converters (`<uuid:contract_id>`) as OpenAPI path templates (`{contract_id}`).
_CONVERTER = re.compile(r"<(?:[^:>]+:)?([^>]+)>")


def _response(code: int) -> dict:
    ref = "ValidationError" if code == 400 else "Error"
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


def errors(*codes: int) -> dict:
    """`openapi_extra` for an operation's error answers its shape does not imply."""
    return {"responses": {code: _response(code) for code in codes}}


# Every string of the document: `not` leaves a field's own `pattern` alone.
NUL = "\\u0000"


NO_NUL_STRING = {"type": "string", "not": {"pattern": NUL}}
# Free-form JSON (structured_inputs, changes...) holds the same strings at any depth.
JSON_VALUE = {
    "anyOf": [
        NO_NUL_STRING,
        {"type": ["number", "boolean", "null"]},
        {"type": "array", "items": {"$ref": "#/components/schemas/JsonValue"}},
        {"type": "object", "propertyNames": NO_NUL_STRING,
         "additionalProperties": {"$ref": "#/components/schemas/JsonValue"}},
    ]
}


def _forbid_nul(node) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and "not" not in node:
            node["not"] = {"pattern": NUL}
        if node.get("type") == "object" and node.get("additionalProperties") is True:
            node["propertyNames"] = NO_NUL_STRING
            node["additionalProperties"] = {"$ref": "#/components/schemas/JsonValue"}
        for value in node.values():
            _forbid_nul(value)
    elif isinstance(node, list):
        for value in node:
            _forbid_nul(value)


def document_errors(schema: dict) -> dict:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Error", ERROR)
    components.setdefault("ValidationError", VALIDATION_ERROR)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            codes = [400, 429, 500]
            if operation.get("security"):
                codes += [401, 403]
            if "{" in path:
                codes.append(404)
            if method in _BODY_METHODS or method == "delete":
                codes.append(409)
            if method in _BODY_METHODS:
                codes += [413, 415]
            responses = operation.setdefault("responses", {})
            declared = {int(code) for code in responses}
            for code in codes:
                if code not in declared:
                    responses[code] = _response(code)
            for parameter in operation.get("parameters", []):
                _forbid_nul(parameter.get("schema"))
    for name, component in components.items():
        # Error messages may quote the refused input, NUL included.
        if name not in _ERROR_COMPONENTS:
            _forbid_nul(component)
    components.setdefault("JsonValue", JSON_VALUE)
    return schema


@cache
def _query_names(api) -> dict[tuple[str, str], frozenset[str]]:
    names = {}
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            names[(method.upper(), path)] = frozenset(
                p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
            )
    return names


def check_request(api, request) -> None:
    """400 for query parameters the operation does not declare, and for NUL in the query."""
    match = getattr(request, "resolver_match", None)
    if match is None or not request.GET:
        return
    path = "/" + _CONVERTER.sub(r"{\1}", match.route)
    allowed = _query_names(api).get((request.method, path), frozenset())
    errors = [{"loc": ("query", name), "msg": "Unknown query parameter"}
              for name in request.GET if name not in allowed]
    errors += [{"loc": ("query", name), "msg": "May not contain a NUL character"}
               for name, values in request.GET.lists()
               if name in allowed and any("\x00" in v for v in values)]
    if errors:
        raise ValidationError(errors)
