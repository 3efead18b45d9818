"""Documents the reference's error responses on every operation of the OpenAPI schema."""

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
    400: "Invalid input",
    401: "Authentication required",
    403: "Permission denied",
    404: "Resource not found",
    409: "Conflict with the resource's current state",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
}
_BODY_METHODS = {"post", "put", "patch"}


def _response(code: int) -> dict:
    ref = "ValidationError" if code == 400 else "Error"
    return {
        "description": _DESCRIPTIONS[code],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
    }


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
    return schema
