"""Roles and permissions of a tenant."""
from django.apps import AppConfig


class RbacConfig(AppConfig):
    name = "core.rbac"
    label = "rbac"
