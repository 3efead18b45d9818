"""Approval workflows: definitions, their running instances and the approvals they ask for."""
from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "core.workflows"
    label = "workflows"
