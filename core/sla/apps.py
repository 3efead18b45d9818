"""Service-level rules for approvals and the breaches the periodic scan records."""
from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "core.sla"
    label = "sla"
