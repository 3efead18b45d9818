"""The one domain error hierarchy; api/errors.py maps it to the reference's error bodies."""


class DomainError(Exception):
    status = 400
    error = "Invalid input"
    default_detail = "The request could not be processed"

    def __init__(self, detail: str | None = None, *, details: dict | None = None):
        self.detail = detail or self.default_detail
        self.details = details
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """400 with per-field messages: InvalidInput({"field": ["message"]})."""

    def __init__(self, details: dict[str, list[str]] | None = None, detail: str | None = None):
        super().__init__(detail, details=details or {})


class AuthenticationFailed(DomainError):
    status = 401
    error = "Authentication required"
    default_detail = "Invalid or missing authentication token"


class PermissionDenied(DomainError):
    status = 403
    error = "Permission denied"
    default_detail = "You do not have permission to access this resource"


class NotFound(DomainError):
    status = 404
    error = "Resource not found"
    default_detail = "The requested resource does not exist"


class Conflict(DomainError):
    status = 409
    error = "Conflict"
    default_detail = "The request conflicts with the current state of the resource"


class ConflictingInput(DomainError):
    """409 with per-field messages: fields the schema allows one by one contradict each other
    or the stored resource (an end before the start, a maximum below the minimum).

    400 means the request breaks the OpenAPI schema; rules a schema cannot state answer this.
    """

    status = 409
    error = "Conflict"

    def __init__(self, details: dict[str, list[str]]):
        super().__init__(None, details=details)


class PayloadTooLarge(DomainError):
    status = 413
    error = "Payload too large"
    default_detail = "The request body is too large"


class RateLimited(DomainError):
    status = 429
    error = "Too many requests"
    default_detail = "Rate limit exceeded, retry later"

    def __init__(self, retry_after: int, detail: str | None = None):
        self.retry_after = max(1, int(retry_after))
        super().__init__(detail)
