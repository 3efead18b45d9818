"""Contracts: the central resource of the product."""
from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "core.contracts"
    label = "contracts"
