"""Maps every error to the API reference's bodies, in one place."""

import logging

from django.http import Http404, JsonResponse
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.errors import AuthorizationError as NinjaAuthorizationError

from core.errors import DomainError, RateLimited

log = logging.getLogger("clm.api")

_DETAIL_BY_STATUS = {
    401: ("Authentication required", "Invalid or missing authentication token"),
    403: ("Permission denied", "You do not have permission to access this resource"),
    404: ("Resource not found", "The requested resource does not exist"),
    405: ("Method not allowed", "This method is not allowed on this resource"),
    500: ("Internal server error", "An unexpected error occurred"),
}


def error_response(status: int, error: str, detail: str | None = None, details=None):
    body: dict = {"error": error}
    if details is not None:
        body["details"] = details
    if detail is not None and details is None:
        body["detail"] = detail
    return JsonResponse(body, status=status)


def standard_error(status: int, detail: str | None = None):
    error, default_detail = _DETAIL_BY_STATUS[status]
    return error_response(status, error, detail or default_detail)


def validation_details(errors: list[dict]) -> dict[str, list[str]]:
    """django-ninja/pydantic error list -> {field: [messages]}."""
    details: dict[str, list[str]] = {}
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path",
                                                                      "form", "file", "payload")]
        # Ninja nests the body under the parameter name; drop it when more follows.
        if len(loc) > 1 and loc[0] in {"data", "payload", "params", "filters"}:
            loc = loc[1:]
        field = ".".join(loc) or "non_field_errors"
        message = err.get("msg", "Invalid value")
        if err.get("type") == "missing":
            message = "Field is required"
        details.setdefault(field, []).append(message)
    return details


def domain_error_response(exc: DomainError):
    if exc.details is not None:
        response = error_response(exc.status, exc.error, details=exc.details)
    else:
        response = error_response(exc.status, exc.error, exc.detail)
    if isinstance(exc, RateLimited):
        response["Retry-After"] = str(exc.retry_after)
    return response


def install(api) -> None:
    @api.exception_handler(DomainError)
    def on_domain_error(request, exc: DomainError):
        return domain_error_response(exc)

    @api.exception_handler(ValidationError)
    def on_validation_error(request, exc: ValidationError):
        return error_response(400, "Invalid input", details=validation_details(exc.errors))

    @api.exception_handler(AuthenticationError)
    def on_authentication_error(request, exc):
        return standard_error(401)

    @api.exception_handler(NinjaAuthorizationError)
    def on_authorization_error(request, exc):
        return standard_error(403)

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return standard_error(404)

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        if exc.status_code == 400:
            # Ninja raises this for bodies that are not JSON at all.
            return error_response(400, "Invalid input", details={"body": [str(exc)]})
        if exc.status_code in _DETAIL_BY_STATUS:
            return standard_error(exc.status_code)
        return error_response(exc.status_code, str(exc))

    @api.exception_handler(Exception)
    def on_unexpected(request, exc: Exception):
        log.exception("unhandled error", exc_info=exc)
        try:
            import sentry_sdk

            sentry_sdk.capture_exception(exc)
        except Exception:  # noqa: BLE001 - reporting must never mask the 500
            pass
        return standard_error(500)
