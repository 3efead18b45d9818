"""Query counts of every GET operation, pinned, and held flat as the rows behind them grow.

The table is checked against the routes the API declares, so a new GET route fails here until
its count is pinned (or excluded with a reason). Each route is called as a client calls it: the
test client, a real access token, acme's schema (staff and public routes as staff and without
a token). Warm-up calls first put the worker in its steady state (tenant cache filled,
connection already on acme's search_path, the caller in the principal cache, whose own look-up
`tests/api/test_principal_cache.py` counts); the next call is measured. Every route is
measured twice, after a first seeding and after more rows of every kind were added through the
services, so an N+1 shows as a count that moved; `GROWS` proves for the lists and nested
collections that their rows really did grow.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from api.schemas.clauses import ClauseIn
from api.schemas.sla import SLARuleIn
from api.schemas.templates import TemplateIn
from api.schemas.workflows import WorkflowIn
from core.clauses import services as clause_services
from core.contracts import services as contract_services
from core.documents import selectors as document_selectors
from core.documents import services as document_services
from core.rbac import services as rbac_services
from core.rbac.access import build_principal
from core.rbac.selectors import user_with_role_permissions
from core.sla import services as sla_services
from core.templates import services as template_services
from core.webhooks import services as webhook_services
from core.workflows import selectors as workflow_selectors
from core.workflows import services as workflow_services
from core.workflows.models import Approval
from tenants import services as tenant_services
from tenants import tenant_cache, tokens
from tenants.models import User
from tests.documents_support import CLAUSES, INPUTS, TEMPLATE
from tests.security.permission_table import PUBLIC, STAFF
from tests.security.routes import declared_operations, fill

# (method, path) -> SQL queries of one warm request, whatever the number of rows behind it.
# The caller and their roles' permissions come from the principal cache (no query) when warm.
PINNED = {
    ("GET", "/api/admin/sla-breaches/"): 2,
    ("GET", "/api/admin/sla-rules/"): 1,
    ("GET", "/api/admin/tenants/"): 3,
    ("GET", "/api/admin/users/roles/"): 3,
    ("GET", "/api/approvals/"): 1,
    ("GET", "/api/approvals/{approval_id}/"): 1,
    ("GET", "/api/audit-logs/"): 1,
    ("GET", "/api/audit-logs/export/"): 1,
    ("GET", "/api/audit-logs/stats/"): 4,
    ("GET", "/api/audit-logs/verify/"): 1,
    ("GET", "/api/auth/me/"): 0,
    ("GET", "/api/clauses/"): 1,
    ("GET", "/api/clauses/{clause_id}/"): 1,
    ("GET", "/api/clauses/{clause_id}/versions/"): 2,
    ("GET", "/api/clauses/{clause_id}/versions/{version}/"): 1,
    ("GET", "/api/contract-templates/"): 1,
    ("GET", "/api/contract-templates/{template_id}/"): 1,
    ("GET", "/api/contracts/"): 1,
    ("GET", "/api/contracts/recent/"): 1,
    ("GET", "/api/contracts/statistics/"): 1,
    ("GET", "/api/contracts/{contract_id}/"): 2,
    ("GET", "/api/contracts/{contract_id}/download-url/"): 2,
    ("GET", "/api/contracts/{contract_id}/history/"): 2,
    ("GET", "/api/contracts/{contract_id}/versions/"): 2,
    ("GET", "/api/contracts/{contract_id}/versions/compare/"): 3,
    ("GET", "/api/contracts/{contract_id}/versions/{version_number}/"): 2,
    ("GET", "/api/contracts/{contract_id}/versions/{version_number}/clauses/"): 2,
    ("GET", "/api/files/{token}/"): 0,
    ("GET", "/api/health/"): 1,
    ("GET", "/api/health/cache/"): 0,
    ("GET", "/api/health/database/"): 1,
    ("GET", "/api/health/metrics/"): 1,
    ("GET", "/api/permissions/"): 0,
    ("GET", "/api/roles/"): 1,
    ("GET", "/api/users/"): 2,
    ("GET", "/api/webhooks/"): 1,
    ("GET", "/api/webhooks/{endpoint_id}/"): 1,
    ("GET", "/api/webhooks/{endpoint_id}/deliveries/"): 3,
    ("GET", "/api/workflows/"): 1,
    ("GET", "/api/workflows/{workflow_id}/"): 1,
    ("GET", "/api/workflows/{workflow_id}/instances/"): 2,
}

# GET routes whose query count is not meaningful, with the reason. Empty on purpose: the CSV
# export is counted with its stream consumed, the file download and health checks as they are.
EXCLUDED: dict[tuple[str, str], str] = {}

# Where each list or nested collection shows its size in the body (None: the body is the
# list; "a.b": a nested key; a number is taken as is, a list by its length). The seeding must
# make every one of them larger between the two measurements; for pages, the rows on the page
# (not the total), so a page already full at the first measurement cannot hide an N+1.
GROWS = {
    ("GET", "/api/admin/sla-breaches/"): "sla_breaches",
    ("GET", "/api/admin/sla-rules/"): "sla_rules",
    ("GET", "/api/admin/tenants/"): "tenants",
    ("GET", "/api/admin/users/roles/"): "user_roles",
    ("GET", "/api/approvals/"): "results",
    ("GET", "/api/audit-logs/"): "results",
    ("GET", "/api/audit-logs/export/"): None,
    ("GET", "/api/audit-logs/stats/"): "total_actions",
    ("GET", "/api/audit-logs/verify/"): "checked",
    ("GET", "/api/auth/me/"): "roles",
    ("GET", "/api/clauses/"): "results",
    ("GET", "/api/clauses/{clause_id}/"): "version",
    ("GET", "/api/clauses/{clause_id}/versions/"): None,
    ("GET", "/api/contract-templates/"): "results",
    ("GET", "/api/contracts/"): "results",
    ("GET", "/api/contracts/recent/"): None,
    ("GET", "/api/contracts/statistics/"): "total",
    ("GET", "/api/contracts/{contract_id}/"): "latest_version.version_number",
    ("GET", "/api/contracts/{contract_id}/download-url/"): "version_number",
    ("GET", "/api/contracts/{contract_id}/history/"): "history",
    ("GET", "/api/contracts/{contract_id}/versions/"): None,
    ("GET", "/api/roles/"): "roles",
    ("GET", "/api/users/"): "users",
    ("GET", "/api/webhooks/"): "results",
    ("GET", "/api/webhooks/{endpoint_id}/deliveries/"): "results",
    ("GET", "/api/workflows/"): "results",
    ("GET", "/api/workflows/{workflow_id}/"): "steps",
    ("GET", "/api/workflows/{workflow_id}/instances/"): None,
}

# Query strings a route needs to answer 200.
QUERIES = {
    ("GET", "/api/contracts/{contract_id}/versions/compare/"): "?from=1&to=2",
    # Every service writes audit rows: a page of 20 would be full at the first measurement.
    ("GET", "/api/audit-logs/"): "?limit=100",
}

HOOK_URL = "http://127.0.0.1:9/hook"  # the discard port: every attempt fails fast


def _principal(world, role="admin"):
    user, role_permissions = user_with_role_permissions(user_id=world.users[role].pk)
    return build_principal(user, world.tenant, role_permissions)


def _steps(n: int) -> list[dict]:
    return [{"step_number": i, "name": f"Step {i}", "assigned_to": ["role:manager", "role:admin"]}
            for i in range(1, n + 1)]


def _workflow(actor, name: str):
    body = WorkflowIn.model_validate({"name": name, "steps": _steps(1)})
    return workflow_services.workflow_create(actor=actor, data=body.model_dump())


def _sla_rule(name: str) -> dict:
    body = SLARuleIn.model_validate({"name": name, "response_time": 4, "resolution_time": 24})
    return {**body.model_dump(), "priority_levels": ["low", "medium", "high"]}


class Scene:
    """Acme with one object of every kind the GET routes name, grown through the services."""

    def __init__(self, world):
        self.world = world
        self.admin = world.users["admin"]
        self.tag = 0
        self.steps = 1
        with schema_context(world.schema):
            self.actor = _principal(world)
            self._seed()
        connection.set_schema_to_public()

    def _seed(self):
        for body in CLAUSES:
            clause_services.clause_create(actor=self.actor,
                                          data=ClauseIn.model_validate(body).model_dump())
        published = TemplateIn.model_validate({**TEMPLATE, "status": "published"})
        self.template = template_services.template_create(actor=self.actor,
                                                          data=published.model_dump())
        self.contract = document_services.contract_generate(
            actor=self.actor, template_id=self.template.pk, title="MSA with Acme Corp",
            structured_inputs=dict(INPUTS), selected_clauses=["TERM-001"]).contract
        document_services.version_create(actor=self.actor, contract_id=self.contract.pk,
                                         selected_clauses=["TERM-002"], change_summary="v2")
        link = document_selectors.version_download(contract=self.contract, version_number=1)
        self.file_token = urlsplit(link["download_url"]).path.rstrip("/").rsplit("/", 1)[-1]
        sla_services.sla_rule_create(actor=self.admin, data=_sla_rule("Standard"))
        self.workflow = _workflow(self.actor, "Review")
        self.approval = self._submit()
        self.endpoint = webhook_services.endpoint_create(actor=self.actor, url=HOOK_URL,
                                                         events=["contract.created"])
        webhook_services.endpoint_test(actor=self.actor, endpoint_id=self.endpoint.pk)

    def _submit(self) -> Approval:
        contract = contract_services.contract_create(actor=self.actor, data={
            "title": f"Submitted {self.tag}", "contract_type": "MSA", "value": 5000})
        workflow_services.contract_submit(actor=self.actor, contract_id=contract.pk,
                                          workflow_id=self.workflow.pk)
        return Approval.objects.filter(contract=contract).first()

    def ids(self) -> dict:
        return {
            "contract_id": self.contract.pk,
            "version_number": 1,
            "template_id": self.template.pk,
            "clause_id": "CONF-001",
            "version": 1,
            "workflow_id": self.workflow.pk,
            "approval_id": self.approval.pk,
            "endpoint_id": self.endpoint.pk,
            "token": self.file_token,
        }

    def grow(self, n: int):
        """n more rows of every kind behind a GET route (one more tenant: each costs a schema)."""
        with schema_context(self.world.schema):
            for _ in range(n):
                self.tag += 1
                self._grow_once(self.tag)
            self.steps += n
            workflow_services.workflow_update(actor=self.actor, workflow_id=self.workflow.pk,
                                              data={"steps": _steps(self.steps)})
            # Every deadline passed: a breach per pending approval and per running instance.
            sla_services.sla_scan(now=timezone.now() + timedelta(days=400))
        self.tag += 1
        tenant_services.tenant_provision(name=f"Grown {self.tag}", slug=f"grown-{self.tag}")
        connection.set_schema_to_public()

    def _grow_once(self, tag: int):
        # Contracts; the main contract's versions and history.
        contract_services.contract_create(actor=self.actor, data={
            "title": f"Grown {tag}", "contract_type": "NDA", "value": 100 * tag})
        document_services.version_create(
            actor=self.actor, contract_id=self.contract.pk,
            selected_clauses=["TERM-001", "LIAB-001"], change_summary=f"grow {tag}")
        contract_services.contract_update(actor=self.actor, contract_id=self.contract.pk,
                                          data={"counterparty": f"Counterparty {tag}"})
        # Templates, clauses, versions of CONF-001.
        template_services.template_create(actor=self.actor, data=TemplateIn.model_validate(
            {**TEMPLATE, "name": f"Template {tag}"}).model_dump())
        clause_services.clause_create(actor=self.actor, data=ClauseIn.model_validate({
            "clause_id": f"GROW-{tag:03d}", "name": f"Grown {tag}", "category": "misc",
            "content": f"Clause {tag}."}).model_dump())
        clause_services.clause_update(actor=self.actor, clause_id="CONF-001",
                                      data={"content": f"Kept confidential, take {tag}."})
        # Workflows; the main workflow's instances and their approvals.
        _workflow(self.actor, f"Workflow {tag}")
        self._submit()
        # Webhook endpoints; the main endpoint's deliveries (each with its attempt).
        webhook_services.endpoint_create(actor=self.actor, url=HOOK_URL,
                                         events=["contract.updated"])
        webhook_services.endpoint_test(actor=self.actor, endpoint_id=self.endpoint.pk)
        # SLA rules, roles, users with roles; the caller also holds every role made here.
        sla_services.sla_rule_create(actor=self.admin, data=_sla_rule(f"Rule {tag}"))
        role = rbac_services.role_create(actor=self.admin, name=f"Role {tag}", description="",
                                         permissions=["view_contracts"])
        # No password: hashing one costs more than the rest of the round together.
        user = User.objects.create_user(f"grown{tag}@acme.test", None, tenant=self.world.tenant)
        rbac_services.user_roles_set(actor=self.admin, user=user, role_ids=["viewer", role.pk])
        rbac_services.user_roles_set(actor=self.admin, user=self.admin,
                                     role_ids=[*self.actor.roles, role.pk])
        self.actor = _principal(self.world)


def _call(api, url: str, token: str | None) -> tuple[int, object]:
    """(queries of the measured call, its body) after a warm-up call."""
    # A fresh tenant cache entry cannot expire between the warm-up and the measured call.
    tenant_cache.forget()
    # The warm-up also puts the caller in the principal cache.
    _body(api.get(url, token), url)
    with CaptureQueriesContext(connection) as ctx:
        body = _body(api.get(url, token), url)
    return len(ctx.captured_queries), body


def _body(response, url: str):
    assert response.status_code == 200, (url, response.status_code, response.content[:300])
    if response.streaming:
        # Consumed inside the measurement: a stream's queries run while it is read. The test
        # client closes the response (and its file) at the end of the stream.
        return b"".join(response.streaming_content).splitlines()
    return response.json()


def _measure(api, world, staff, scene, routes) -> dict:
    """{(method, path): (queries, body)} for every route, each caller as its access needs."""
    access = declared_operations()
    staff_token = tokens.issue_pair(staff)["access"]
    member_token = world.token()
    ids = scene.ids()
    result = {}
    for operation in sorted(routes):
        token = {PUBLIC: None, STAFF: staff_token}.get(access[operation], member_token)
        url = fill(operation[1], ids) + QUERIES.get(operation, "")
        result[operation] = _call(api, url, token)
    return result


def _size(body, key: str | None) -> int:
    for part in key.split(".") if key else ():
        body = body[part]
    return body if isinstance(body, int) else len(body)


def _get_routes() -> set:
    return {op for op in declared_operations() if op[0] == "GET"}


def test_every_get_route_has_a_pinned_count_or_a_reason():
    routes = _get_routes()
    assert set(PINNED).isdisjoint(EXCLUDED)
    assert all(reason.strip() for reason in EXCLUDED.values())
    unpinned = sorted(routes - set(PINNED) - set(EXCLUDED))
    stale = sorted((set(PINNED) | set(EXCLUDED) | set(GROWS)) - routes)
    assert (unpinned, stale) == ([], []), (
        "pin each new GET route in PINNED; the count test reports what it measures")
    assert set(GROWS) <= set(PINNED)


def test_query_counts_are_pinned_and_do_not_grow_with_rows(api, acme, staff, local_documents):
    routes = _get_routes() - set(EXCLUDED)
    scene = Scene(acme)
    scene.grow(1)
    few = _measure(api, acme, staff, scene, routes)
    scene.grow(3)
    many = _measure(api, acme, staff, scene, routes)

    moved = {op: (PINNED.get(op), few[op][0], many[op][0]) for op in sorted(routes)
             if not PINNED.get(op) == few[op][0] == many[op][0]}
    assert moved == {}, "\n" + "\n".join(
        f"    {op!r}: {n},  # pinned {pinned}, {m} after more rows"
        for op, (pinned, n, m) in moved.items())
    # The flat counts mean something only if the rows behind each collection grew.
    sizes = {op: (_size(few[op][1], key), _size(many[op][1], key)) for op, key in GROWS.items()}
    assert {op: s for op, s in sizes.items() if not s[1] > s[0]} == {}


def test_the_growth_check_sees_an_n_plus_one(api, acme, monkeypatch):
    """The method can fail: approvals listed without their contract's join cost a query each."""
    listed = workflow_selectors.approval_list
    monkeypatch.setattr(workflow_selectors, "approval_list",
                        lambda **kw: listed(**kw).select_related(None))
    path = ("GET", "/api/approvals/")
    with schema_context(acme.schema):
        actor = _principal(acme)
        workflow = _workflow(actor, "Review")

    def submit(n):
        with schema_context(acme.schema):
            for i in range(n):
                contract = contract_services.contract_create(actor=actor, data={
                    "title": f"N+1 {i}", "contract_type": "MSA", "value": 10})
                workflow_services.contract_submit(actor=actor, contract_id=contract.pk,
                                                  workflow_id=workflow.pk)
        connection.set_schema_to_public()
        return _call(api, path[1], acme.token())[0]

    few = submit(1)
    assert submit(2) == few + 2 * 2  # two approvals (manager, admin) per submitted contract
    assert few == PINNED[path] + 2
