"""Reads of webhook endpoints and their delivery log, scoped to the current tenant schema."""

from django.db.models import Prefetch, QuerySet

from core.errors import NotFound
from core.webhooks.models import Delivery, DeliveryAttempt, Endpoint


def endpoint_get(*, endpoint_id) -> Endpoint:
    endpoint = Endpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def endpoint_list() -> QuerySet[Endpoint]:
    return Endpoint.objects.order_by("-created_at", "-id")


def delivery_list(*, endpoint: Endpoint, status: str | None = None) -> QuerySet[Delivery]:
    qs = Delivery.objects.filter(endpoint=endpoint)
    if status:
        qs = qs.filter(status=status)
    attempts = Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("attempted_at", "id"))
    return qs.prefetch_related(attempts).order_by("-created_at", "-id")


def delivery_get(*, endpoint: Endpoint, delivery_id) -> Delivery:
    delivery = delivery_list(endpoint=endpoint).filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound()
    return delivery
