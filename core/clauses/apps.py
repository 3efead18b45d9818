"""Clause library: versioned, reusable contract clauses and the rules that sit on them."""
from django.apps import AppConfig


class ClausesConfig(AppConfig):
    name = "core.clauses"
    label = "clauses"
