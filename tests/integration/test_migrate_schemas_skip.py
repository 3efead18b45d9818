"""`migrate_schemas` leaves out up-to-date tenant schemas and migrates every other one."""

import re
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.routers import TenantSyncRouter

from tenants import services as tenant_services
from tenants.models import Tenant

pytestmark = pytest.mark.django_db(transaction=True)

EXECUTORS = ["standard", "multiprocessing"]


@pytest.fixture
def schemas():
    """Three provisioned (fully migrated) tenants, dropped afterwards with their schemas."""
    made = []
    for _ in range(3):
        slug = f"mig-{uuid.uuid4().hex[:8]}"
        made.append(tenant_services.tenant_provision(name=slug, slug=slug))
    connection.set_schema_to_public()
    yield [t.schema_name for t in made]
    connection.set_schema_to_public()
    for tenant in made:
        tenant.delete(force_drop=True)


@pytest.fixture
def bare_schema():
    """A tenant whose schema exists but is empty, as if created a moment ago."""
    slug = f"mig-new-{uuid.uuid4().hex[:8]}"
    tenant = Tenant.objects.create(name=slug, slug=slug, schema_name=slug.replace("-", "_"))
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{tenant.schema_name}"')
    yield tenant.schema_name
    connection.set_schema_to_public()
    tenant.delete(force_drop=True)


def _migrate(capfd, executor, *args, **options) -> str:
    """Runs the command as Helm and run_local do; returns what it printed."""
    capfd.readouterr()
    call_command("migrate_schemas", *args, executor=executor, interactive=False, **options)
    connection.set_schema_to_public()
    return capfd.readouterr().out


def _started(output: str, executor: str) -> set[str]:
    """Schemas django-tenants ran `migrate` in: it announces each one before starting."""
    # "[standard:public] ...", "[2/3 (66%) standard:t_acme] ..." for tenants.
    line = re.compile(rf"^\[(?:\d+/\d+ \(\d+%\) )?{executor}:([^\]]+)\] === Starting migration$",
                      re.MULTILINE)
    return set(line.findall(output))


def _recorded(schema: str) -> set[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return set(cursor.fetchall())


def _constraints(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT conname FROM pg_constraint WHERE connamespace = %s::regnamespace",
                       [schema])
        return {row[0] for row in cursor.fetchall()}


def _graph():
    return MigrationLoader(None, ignore_no_migrations=True).graph


def _tenant_schema_count() -> int:
    return Tenant.objects.exclude(schema_name="public").count()


@pytest.mark.parametrize("executor", EXECUTORS)
def test_up_to_date_schemas_are_skipped_and_one_missing_a_record_is_migrated(
        schemas, executor, capfd):
    done, shared_missing, tenant_missing = schemas
    graph = _graph()
    # A shared-only app's migration: a no-op in tenant schemas, but `migrate` still records it
    # there, so its record missing means the schema is behind. One nothing depends on, or
    # Django would call the history inconsistent.
    router = TenantSyncRouter()
    shared_leaf = min(key for key, node in graph.node_map.items() if not node.children
                      and not router.app_in_list(key[0], settings.TENANT_APPS))
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM "{shared_missing}".django_migrations'
                       " WHERE app = %s AND name = %s", list(shared_leaf))
    # A tenant app's migration really undone: its constraint gone with its record.
    _migrate(capfd, "standard", "workflows", "0001_initial", schema_name=tenant_missing,
             verbosity=0)
    assert "approval_single_assignee" not in _constraints(tenant_missing)
    assert ("workflows", "0002_approval_single_assignee") not in _recorded(tenant_missing)

    output = _migrate(capfd, executor, verbosity=1)

    started = _started(output, executor)
    assert "public" in started
    assert done not in started
    assert {shared_missing, tenant_missing} <= started
    total = _tenant_schema_count()
    skipped = total - len(started - {"public"})
    assert skipped >= 1
    assert (f"[{executor}] {skipped} of {total} tenant schemas skipped: every migration already"
            " applied") in output
    nodes = set(graph.nodes)
    for schema in schemas:
        assert nodes <= _recorded(schema)
    assert "approval_single_assignee" in _constraints(tenant_missing)

    # Everything is up to date now: only the public schema runs.
    output = _migrate(capfd, executor, verbosity=1)
    assert _started(output, executor) == {"public"}
    assert f"[{executor}] {total} of {total} tenant schemas skipped" in output


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_brand_new_schema_is_migrated(bare_schema, executor, capfd):
    output = _migrate(capfd, executor, verbosity=1)

    assert bare_schema in _started(output, executor)
    assert set(_graph().nodes) <= _recorded(bare_schema)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{bare_schema}".contracts_contract'])
        assert cursor.fetchone()[0] is not None


@pytest.mark.parametrize("options", [
    {"plan": True}, {"fake": True}, {"check_unapplied": True}, {"app_label": "workflows"},
    {"schema": True},
], ids=["plan", "fake", "check", "app_label", "schema"])
def test_options_that_change_what_migrate_does_run_every_schema(schemas, options, capfd):
    options = dict(options)
    args = [options.pop("app_label")] if "app_label" in options else []
    if options.pop("schema", False):
        options["schema_name"] = schemas[0]

    output = _migrate(capfd, "standard", *args, verbosity=1, **options)

    assert "tenant schemas skipped" not in output
    assert schemas[0] in _started(output, "standard")
    if "schema_name" not in options:
        assert set(schemas) <= _started(output, "standard")


def test_nothing_is_printed_at_verbosity_zero(schemas, capfd):
    assert _migrate(capfd, "standard", verbosity=0) == ""
