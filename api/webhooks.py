"""Webhooks API: endpoints, their delivery log, redelivery and test pings."""

from ninja import Router

router = Router(tags=["Webhooks"])
