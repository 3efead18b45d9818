"""Outgoing webhooks of a tenant: endpoints, deliveries and their attempts."""
from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "core.webhooks"
    label = "webhooks"
