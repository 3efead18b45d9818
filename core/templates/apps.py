"""Contract templates: the documents and rules that contracts are generated from."""
from django.apps import AppConfig


class ContractTemplatesConfig(AppConfig):
    name = "core.templates"
    # Not "templates": that label would read as Django's template machinery everywhere.
    label = "contract_templates"
