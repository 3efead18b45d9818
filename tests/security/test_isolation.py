"""Tenant isolation, generated from the routes the API declares (new routes are covered).

One of every kind of object is made in acme; globex's admin then calls every object route with
acme's ids, by token and by globex's own Host: every answer is the same 404 as for a missing
object, and no list, statistic or export of globex shows anything of acme's.
"""

import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django_tenants.utils import schema_context

from core.webhooks.models import Delivery
from tests.api.workflow_support import create_workflow
from tests.documents_support import docx_bytes, generate
from tests.security.permission_table import OPERATIONS, PUBLIC, STAFF
from tests.security.routes import declared_operations, fill

# Routes where another tenant's id is not a tenant-scoped lookup, with the reason.
NOT_TENANT_SCOPED = {
    ("GET", "/api/files/{token}/"): "a signed, expiring capability URL: the signature decides",
}

BODIES = {
    ("PUT", "/api/contracts/{contract_id}/"): {"title": "Taken over"},
    ("POST", "/api/contracts/{contract_id}/clone/"): {"title": "Stolen"},
    ("POST", "/api/contracts/{contract_id}/submit/"): {},
    ("POST", "/api/contracts/{contract_id}/approve/"): {"reviewed": True, "comments": "ok"},
    ("POST", "/api/contracts/{contract_id}/reject/"): {"comments": "no"},
    ("POST", "/api/contracts/{contract_id}/create-version/"): {
        "selected_clauses": ["TERM-001"], "change_summary": "x"},
    ("PUT", "/api/contract-templates/{template_id}/"): {"description": "Taken over"},
    ("PUT", "/api/clauses/{clause_id}/"): {"content": "Taken over"},
    ("PUT", "/api/workflows/{workflow_id}/"): {"description": "Taken over"},
    ("PUT", "/api/approvals/{approval_id}/"): {"status": "approved", "comments": "ok"},
    ("PUT", "/api/webhooks/{endpoint_id}/"): {"is_active": False},
    ("POST", "/api/webhooks/{endpoint_id}/rotate-secret/"): {},
    ("POST", "/api/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver/"): {},
    ("POST", "/api/webhooks/{endpoint_id}/test/"): {},
    ("PUT", "/api/users/{user_id}/"): {"first_name": "Mallory"},
    ("PUT", "/api/admin/users/{user_id}/roles/"): {"roles": ["admin"]},
    ("PUT", "/api/admin/sla-rules/{rule_id}/"): {"description": "Taken over"},
    ("PUT", "/api/roles/{role_id}/"): {"description": "Taken over"},
}
MULTIPART = {
    ("POST", "/api/contracts/{contract_id}/versions/upload/"),
    ("POST", "/api/contract-templates/{template_id}/upload/"),
}
QUERIES = {("GET", "/api/contracts/{contract_id}/versions/compare/"): "?from=1&to=1"}


@pytest.fixture
def acme_ids(api, acme, published) -> dict:
    """One object of every kind in acme, by the name of the path parameter that names it."""
    token = acme.token()
    contract = generate(api, acme, published["id"])["contract"]
    workflow = create_workflow(api, acme, steps=[
        {"step_number": 1, "name": "Review", "assigned_to": ["role:manager"],
         "required_approval": True}])
    pending = api.post("/api/contracts/", token, {"title": "Pending", "contract_type": "MSA"})
    submitted = api.post(f"/api/contracts/{pending.json()['id']}/submit/", token,
                         {"workflow_id": workflow["id"]})
    assert submitted.status_code == 200, submitted.content
    approval = api.get("/api/approvals/", token).json()["results"][0]
    endpoint = api.post("/api/webhooks/", token, {"url": "http://127.0.0.1:9/hook",
                                                  "events": ["contract.created"]}).json()
    api.post(f"/api/webhooks/{endpoint['id']}/test/", token, {})
    with schema_context(acme.schema):
        delivery = Delivery.objects.filter(endpoint_id=endpoint["id"]).first()
    rule = api.post("/api/admin/sla-rules/", token, {"name": "Acme SLA", "response_time": 4,
                                                     "resolution_time": 24}).json()
    role = api.post("/api/roles/", token, {"name": "Legal"}).json()
    link = api.get(f"/api/contracts/{contract['id']}/download-url/", token).json()
    connection.set_schema_to_public()
    return {
        "contract_id": contract["id"],
        "version_number": 1,
        "template_id": published["id"],
        "clause_id": "CONF-001",
        "version": 1,
        "workflow_id": workflow["id"],
        "approval_id": approval["id"],
        "endpoint_id": endpoint["id"],
        "delivery_id": delivery.pk if delivery else uuid.uuid4(),
        "rule_id": rule["id"],
        "role_id": role["id"],
        "user_id": acme.users["user"].pk,
        "tenant_id": acme.tenant.pk,
        "token": urlsplit(link["download_url"]).path.rstrip("/").rsplit("/", 1)[-1],
    }


def _object_routes():
    return sorted(op for op in declared_operations() if "{" in op[1]
                  and OPERATIONS.get(op) not in (PUBLIC, STAFF) and op not in NOT_TENANT_SCOPED)


def _call(api, method, path, token, ids, host=None):
    operation = (method, path)
    url = fill(path, ids) + QUERIES.get(operation, "")
    headers = {"HOST": host} if host else {}
    if operation in MULTIPART:
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}",
                 **({"HTTP_HOST": host} if host else {})}
        response = api.client.post(url, {"file": SimpleUploadedFile("x.docx", docx_bytes("x")),
                                         "change_summary": "x"}, **extra)
        connection.set_schema_to_public()
        return response
    return api.request(method, url, token, BODIES.get(operation), **headers)


def test_every_object_route_has_an_acme_object_to_aim_at(acme_ids):
    routes = _object_routes()
    assert len(routes) >= 40
    params = {name for _, path in routes for name in re.findall(r"{([^}]+)}", path)}
    assert params <= set(acme_ids), f"no acme object for {sorted(params - set(acme_ids))}"


def test_acme_can_reach_its_own_objects(api, acme, acme_ids):
    """The ids are real: acme's admin does not get 404 on its own objects (mostly 200)."""
    for method, path in _object_routes():
        if method != "GET":
            continue
        r = _call(api, method, path, acme.token(), acme_ids)
        assert r.status_code == 200, (method, path, r.status_code, r.content[:200])


@pytest.mark.parametrize("by_host", [False, True], ids=["by-token", "by-host"])
def test_another_tenant_gets_404_on_every_object_route(api, acme, globex, acme_ids, by_host):
    host = f"globex.{settings.TENANT_BASE_DOMAIN}" if by_host else None
    leaks = {}
    for method, path in _object_routes():
        r = _call(api, method, path, globex.token(), acme_ids, host=host)
        if r.status_code != 404 or r.json().get("error") != "Resource not found":
            leaks[(method, path)] = (r.status_code, r.content[:200])
    assert leaks == {}


def test_no_list_statistic_or_export_of_another_tenant_shows_acme_data(api, acme, globex,
                                                                       acme_ids):
    markers = {str(v) for k, v in acme_ids.items() if k not in ("version_number", "version")}
    markers |= {"MSA with Acme Corp", "acme.test"}
    token = globex.token()
    checked = 0
    for method, path in sorted(declared_operations()):
        if method != "GET" or "{" in path or OPERATIONS[(method, path)] in (PUBLIC, STAFF):
            continue
        r = api.get(path, token)
        assert r.status_code == 200, (path, r.status_code, r.content[:200])
        body = (b"".join(r.streaming_content) if r.streaming else r.content).decode()
        found = sorted(m for m in markers if m in body)
        assert found == [], (path, found)
        checked += 1
    assert checked >= 15
