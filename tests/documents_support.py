"""Helpers for the templates, clauses and documents tests: library set-up and real .docx bytes."""

import io

import pytest
from docx import Document

CLAUSES = [
    {"clause_id": "CONF-001", "name": "Confidentiality", "category": "confidentiality",
     "content": "{{ counterparty }} shall keep all information confidential for "
                "{{ confidentiality_period }}.",
     "tags": ["standard"], "contract_types": []},
    {"clause_id": "TERM-001", "name": "Termination", "category": "termination",
     "content": "Either party may terminate with 30 days notice.", "tags": ["standard"],
     "alternatives": ["TERM-002"]},
    {"clause_id": "TERM-002", "name": "Termination (strict)", "category": "termination",
     "content": "Either party may terminate immediately upon breach.", "tags": ["strict"]},
    {"clause_id": "TERM-003", "name": "Termination (lenient)", "category": "termination",
     "content": "Either party may terminate with 90 days notice.", "tags": ["lenient"]},
    {"clause_id": "LIAB-001", "name": "Liability Limitation", "category": "liability",
     "content": "Liability is limited to the fees paid.", "tags": ["standard"],
     "mandatory_rule": {"contract_types": [], "min_value": None,
                        "message": "Liability limitation required for all contracts"},
     "conflicts_with": ["LIAB-002"]},
    {"clause_id": "LIAB-002", "name": "Unlimited Liability", "category": "liability",
     "content": "Liability is unlimited.", "tags": ["strict"]},
]


def docx_bytes(*paragraphs: str) -> bytes:
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def docx_paragraphs(data: bytes) -> list[str]:
    document = Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            texts.extend(cell.text for cell in row.cells)
    return texts


PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def upload(api, path: str, token: str | None, data: bytes, filename: str = "doc.docx",
           **fields):
    """A real multipart request, as a browser or curl sends it."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    payload = {"file": SimpleUploadedFile(filename, data), **fields}
    response = api.client.post(path, payload, **extra)
    connection.set_schema_to_public()
    return response


def make_library(api, world, clauses=CLAUSES):
    for body in clauses:
        r = api.post("/api/clauses/", world.token(), body)
        assert r.status_code == 201, r.content


TEMPLATE = {
    "name": "MSA Template",
    "contract_type": "MSA",
    "description": "Master services agreement",
    "merge_fields": ["counterparty", "confidentiality_period"],
    "mandatory_clauses": ["CONF-001"],
    "business_rules": {"min_value": 1000, "max_value": 1000000,
                       "allowed_currencies": ["USD", "EUR"], "max_term_months": 24},
    "status": "draft",
}


def make_template(api, world, **overrides) -> dict:
    r = api.post("/api/contract-templates/", world.token(), {**TEMPLATE, **overrides})
    assert r.status_code == 201, r.content
    return r.json()


INPUTS = {
    "counterparty": "Acme Corp",
    "value": 50000,
    "start_date": "2026-01-15",
    "end_date": "2027-01-14",
    "confidentiality_period": "three years",
}


def generate(api, world, template_id, role="admin", expect=201, **overrides) -> dict:
    body = {
        "template_id": template_id,
        "structured_inputs": dict(INPUTS),
        "user_instructions": "",
        "title": "MSA with Acme Corp",
        "selected_clauses": ["TERM-001"],
        **overrides,
    }
    r = api.post("/api/contracts/generate/", world.token(role), body)
    assert r.status_code == expect, r.content
    return r.json()


@pytest.fixture
def local_documents(settings, tmp_path):
    """Documents on the local file system, in a directory of this test's own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "documents"), "allow_overwrite": True},
        },
    }
    return tmp_path / "documents"


@pytest.fixture
def library(api, acme, local_documents):
    make_library(api, acme)


@pytest.fixture
def published(api, acme, library) -> dict:
    return make_template(api, acme, status="published")


def user_with_permissions(world, *permissions: str) -> str:
    """A token for a new user of `world` whose only role grants exactly `permissions`."""
    import uuid

    from django.db import connection
    from django_tenants.utils import schema_context

    from core.rbac import services as rbac_services
    from tenants import tokens
    from tenants.models import User

    tag = uuid.uuid4().hex[:8]
    user = User.objects.create_user(f"custom-{tag}@{world.schema}.test", "x-Pass-12345!",
                                    tenant=world.tenant)
    with schema_context(world.schema):
        role = rbac_services.role_create(actor=user, name=f"custom {tag}", description="",
                                         permissions=list(permissions))
        rbac_services.user_roles_set(actor=user, user=user, role_ids=[role.pk])
    connection.set_schema_to_public()
    return tokens.issue_pair(user)["access"]
