"""Contract documents: immutable versions, rendering and object storage."""
from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "core.documents"
    label = "documents"
