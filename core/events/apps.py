"""Domain events of a tenant: the outbox that webhooks deliver from."""
from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "core.events"
    label = "events"
