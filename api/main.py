"""The NinjaAPI instance: routers, error mapping and OpenAPI."""

from django.conf import settings
from ninja import NinjaAPI

from api import (
    admin,
    approvals,
    audit,
    auth,
    clauses,
    contract_actions,
    contracts,
    documents,
    errors,
    health,
    rbac,
    sla,
    templates,
    users,
    webhooks,
    workflows,
)
from api.openapi import check_request, document_errors


class ClmAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_errors(schema)

    def create_temporal_response(self, request):
        # Ninja calls this once per operation, after authentication and before reading the
        # parameters: the one hook that sees every request of every operation.
        check_request(self, request)
        return super().create_temporal_response(request)


api = ClmAPI(
    title="CLM Platform API",
    version="1.0.0",
    description="Multi-tenant Contract Lifecycle Management. Authenticate with a Bearer JWT.",
    urls_namespace="api",
    docs_url="/docs" if settings.API_DOCS_ENABLED else None,
    openapi_url="/openapi.json",
)
errors.install(api)

api.add_router("/auth/", auth.router)
api.add_router("/contracts/", contracts.router)
api.add_router("/contracts/", audit.history_router)
api.add_router("/contracts/", contract_actions.router)
api.add_router("/contracts/", documents.router)
api.add_router("/contract-templates/", templates.router)
api.add_router("/clauses/", clauses.router)
api.add_router("/files/", documents.files_router)
api.add_router("/workflows/", workflows.router)
api.add_router("/approvals/", approvals.router)
api.add_router("/audit-logs/", audit.router)
api.add_router("/webhooks/", webhooks.router)
api.add_router("/users/", users.router)
api.add_router("/health/", health.router)
api.add_router("/admin/", admin.router)
api.add_router("/admin/", sla.router)
api.add_router("/", rbac.router)
