"""Request id, request context for services, and one JSON log line per request."""

import json
import logging
import re
import time
import uuid

from django.conf import settings

from api.errors import error_response
from core import context

log = logging.getLogger("clm.request")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def client_ip(request) -> str | None:
    # Behind the ingress the first X-Forwarded-For hop is the client (trusted proxy set-up).
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = context.bind(
            context.RequestContext(
                request_id=request_id,
                ip_address=client_ip(request),
                user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
            )
        )
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        self._log(request, response, time.perf_counter() - started)
        return response

    def _log(self, request, response, seconds: float) -> None:
        tenant = getattr(request, "tenant", None)
        principal = getattr(request, "auth", None)
        match = getattr(request, "resolver_match", None)
        log.info(
            json.dumps(
                {
                    "request_id": request.request_id,
                    "tenant": getattr(tenant, "schema_name", None),
                    "user": str(getattr(principal, "user_id", "")) or None,
                    "method": request.method,
                    "route": getattr(match, "route", None) or request.path,
                    "status": response.status_code,
                    "duration_ms": round(seconds * 1000, 2),
                }
            )
        )


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_ACCEPTED_TYPES = ("application/json", "multipart/form-data")


class BodyGuardMiddleware:
    """Refuses API bodies that are too large (413) or not JSON/multipart (415) before parsing.

    Multipart uploads are capped by the upload endpoints themselves (their own, larger limit).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in _BODY_METHODS and request.path.startswith("/api/"):
            content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            length = _content_length(request)
            if length and content_type not in _ACCEPTED_TYPES:
                return error_response(415, "Unsupported media type",
                                      "Send a JSON body (application/json)")
            if content_type == "application/json" and length > settings.API_MAX_JSON_BYTES:
                limit = settings.API_MAX_JSON_BYTES
                return error_response(413, "Payload too large",
                                      f"JSON bodies are limited to {limit} bytes")
        return self.get_response(request)


def _content_length(request) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0
