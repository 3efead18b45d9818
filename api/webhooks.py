"""Webhooks API: endpoints, their delivery log, redelivery and test pings."""

from uuid import UUID

from django.http import HttpResponse
from ninja import Query, Router, Status

from api.pagination import page_params, paginate
from api.schemas.webhooks import (
    DeliveryFilter,
    DeliveryOut,
    DeliveryPageOut,
    EndpointIn,
    EndpointOut,
    EndpointPageOut,
    EndpointSecretOut,
    EndpointUpdateIn,
)
from api.security import require
from core.rbac.permissions import Perm
from core.webhooks import selectors, services

router = Router(tags=["Webhooks"])
manage = require(Perm.MANAGE_WEBHOOKS)
# Endpoints and deliveries are always listed newest first.
NewestFirst = page_params("NewestFirstPageParams", ["-created_at"])


def endpoint_out(e) -> dict:
    return {
        "id": e.id, "url": e.url, "description": e.description, "events": e.events,
        "is_active": e.is_active, "disabled_reason": e.disabled_reason,
        "created_at": e.created_at, "updated_at": e.updated_at,
    }


def delivery_out(d) -> dict:
    return {
        "id": d.id, "event_id": d.event_id, "event_type": d.event_type,
        "message_id": d.message_id, "status": d.status, "attempt_count": d.attempt_count,
        "max_attempts": d.max_attempts, "last_status_code": d.last_status_code,
        "next_attempt_at": d.next_attempt_at, "created_at": d.created_at,
        "delivered_at": d.delivered_at,
        "attempts": [
            {"attempted_at": a.attempted_at, "status_code": a.status_code,
             "duration_ms": a.duration_ms, "response_excerpt": a.response_excerpt,
             "error": a.error, "success": a.success}
            for a in d.attempts.all()
        ],
    }


@router.get("/", response=EndpointPageOut, auth=manage)
def list_endpoints(request, page: Query[NewestFirst]):
    return paginate(request, selectors.endpoint_list(), page, endpoint_out)


@router.post("/", response={201: EndpointSecretOut}, auth=manage)
def create_endpoint(request, data: EndpointIn):
    endpoint = services.endpoint_create(actor=request.auth, **data.model_dump())
    return Status(201, {**endpoint_out(endpoint), "secret": endpoint.secret})


@router.get("/{uuid:endpoint_id}/", response=EndpointOut, auth=manage)
def get_endpoint(request, endpoint_id: UUID):
    return endpoint_out(selectors.endpoint_get(endpoint_id=endpoint_id))


@router.put("/{uuid:endpoint_id}/", response=EndpointOut, auth=manage)
def update_endpoint(request, endpoint_id: UUID, data: EndpointUpdateIn):
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    endpoint = services.endpoint_update(
        actor=request.auth, endpoint_id=endpoint.pk, data=data.model_dump(exclude_unset=True)
    )
    return endpoint_out(endpoint)


@router.delete("/{uuid:endpoint_id}/", response={204: None}, auth=manage)
def delete_endpoint(request, endpoint_id: UUID):
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    services.endpoint_delete(actor=request.auth, endpoint_id=endpoint.pk)
    return HttpResponse(status=204)


@router.post("/{uuid:endpoint_id}/rotate-secret/", response=EndpointSecretOut, auth=manage)
def rotate_secret(request, endpoint_id: UUID):
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    endpoint = services.endpoint_rotate_secret(actor=request.auth, endpoint_id=endpoint.pk)
    return {**endpoint_out(endpoint), "secret": endpoint.secret}


@router.get("/{uuid:endpoint_id}/deliveries/", response=DeliveryPageOut, auth=manage)
def list_deliveries(request, endpoint_id: UUID, filters: Query[DeliveryFilter],
                    page: Query[NewestFirst]):
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    qs = selectors.delivery_list(endpoint=endpoint, status=filters.status)
    return paginate(request, qs, page, delivery_out)


@router.post("/{uuid:endpoint_id}/deliveries/{uuid:delivery_id}/redeliver/",
             response={202: DeliveryOut}, auth=manage)
def redeliver(request, endpoint_id: UUID, delivery_id: UUID):
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    delivery = selectors.delivery_get(endpoint=endpoint, delivery_id=delivery_id)
    delivery = services.delivery_redeliver(
        actor=request.auth, endpoint_id=endpoint.pk, delivery_id=delivery.pk
    )
    return Status(202, delivery_out(selectors.delivery_get(endpoint=endpoint,
                                                           delivery_id=delivery.pk)))


@router.post("/{uuid:endpoint_id}/test/", response=DeliveryOut, auth=manage)
def test_endpoint(request, endpoint_id: UUID):
    endpoint = selectors.endpoint_get(endpoint_id=endpoint_id)
    return delivery_out(services.endpoint_test(actor=request.auth, endpoint_id=endpoint.pk))
