"""Resolves each request's tenant: Host domain, else the access token's `tid`, else public."""

import uuid

from django.db import connection

from api.errors import error_response
from core.errors import AuthenticationFailed
from tenants import selectors, tokens

PROBE_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def bearer_token(request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class TenantResolutionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PROBE_PATHS:
            # Probes and scrapes must answer without the database and from any Host (pod IP).
            return self.get_response(request)
        with connection.public_lookup():
            tenant = self._resolve(request)
        if tenant is not None and not tenant.is_active:
            return error_response(403, "Permission denied", "This organization is deactivated")

        request.tenant = tenant
        if tenant is None:
            connection.set_schema_to_public()
        else:
            connection.set_tenant(tenant)
        try:
            return self.get_response(request)
        finally:
            # Never let a pooled connection carry this tenant into the next request.
            connection.set_schema_to_public()

    def _resolve(self, request):
        """The request's tenant (public-only look-ups); also decodes the access token."""
        host_tenant = selectors.tenant_for_host(request.get_host().split(":")[0].lower())
        request.token_claims = None
        request.token_conflict = False
        token = bearer_token(request)
        if token:
            try:
                request.token_claims = tokens.decode(token, expected_type=tokens.ACCESS)
            except AuthenticationFailed:
                request.token_claims = None

        tenant = host_tenant
        claims = request.token_claims
        if claims and claims.get("tid"):
            if host_tenant is None:
                tenant = _tenant_from_claim(claims["tid"])
            elif str(host_tenant.pk) != claims["tid"]:
                # A token of another tenant on this tenant's host is refused by the auth layer.
                request.token_conflict = True
        return tenant


def _tenant_from_claim(tid: str):
    try:
        uuid.UUID(tid)
    except ValueError:
        return None
    return selectors.tenant_by_id(tid)
