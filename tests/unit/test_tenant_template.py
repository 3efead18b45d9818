"""New tenant schemas copied from the template equal schemas made by running migrations."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from tenants import schema_template
from tenants.selectors import tenant_list
from tenants.services import tenant_provision

SIGNATURE = {
    "columns": """
        SELECT c.relname, row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum), a.attname,
               format_type(a.atttypid, a.atttypmod),
               a.attnotnull, pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE c.relnamespace = %s::regnamespace AND a.attnum > 0 AND NOT a.attisdropped""",
    "relations": """SELECT relname, relkind FROM pg_class WHERE relnamespace = %s::regnamespace""",
    "constraints": """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE connamespace = %s::regnamespace""",
    "indexes": """
        SELECT c.relname, pg_get_indexdef(c.oid) FROM pg_class c
        WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'i'""",
    "triggers": """
        SELECT g.tgname, pg_get_triggerdef(g.oid), g.tgenabled FROM pg_trigger g
        JOIN pg_class c ON c.oid = g.tgrelid
        WHERE c.relnamespace = %s::regnamespace AND NOT g.tgisinternal""",
    "functions": """
        SELECT proname, pg_get_function_arguments(oid), prosrc, proconfig::text FROM pg_proc
        WHERE pronamespace = %s::regnamespace""",
}


def _signature(schema: str) -> dict:
    """The schema's catalog with its own name replaced, so two schemas compare equal."""
    out = {}
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for key, sql in SIGNATURE.items():
            cursor.execute(sql, [schema])
            out[key] = sorted(
                tuple(str(v).replace(f"{schema}.", "S.") for v in row)
                for row in cursor.fetchall()
            )
    with schema_context(schema), connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        out["migrations"] = sorted(cursor.fetchall())
        cursor.execute("SELECT id, app_label, model FROM django_content_type")
        out["content_types"] = sorted(cursor.fetchall())
        cursor.execute("SELECT id, name, permissions FROM rbac_role")
        out["roles"] = sorted(cursor.fetchall())
    return out


@pytest.mark.django_db
def test_a_copied_schema_equals_a_migrated_one(settings):
    copied = tenant_provision(name="Copied", slug="copied-probe")
    settings.TENANT_SCHEMA_FROM_TEMPLATE = False
    migrated = tenant_provision(name="Migrated", slug="migrated-probe")
    a, b = _signature(copied.schema_name), _signature(migrated.schema_name)
    assert a["migrations"] and a["relations"] and a["triggers"]
    for key in b:
        assert a[key] == b[key], (key, sorted(set(a[key]) ^ set(b[key]))[:20])


@pytest.mark.django_db
def test_a_copied_schema_numbers_new_rows_after_the_copied_ones():
    tenant = tenant_provision(name="Sequences", slug="sequence-probe")
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT max(id) FROM django_migrations")
        (highest,) = cursor.fetchone()
        cursor.execute("INSERT INTO django_migrations (app, name, applied)"
                       " VALUES ('probe', 'probe', now()) RETURNING id")
        assert cursor.fetchone()[0] == highest + 1


@pytest.mark.django_db
def test_a_missing_template_is_rebuilt_by_migrations():
    schema_template.ensure_template()
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA {schema_template.TEMPLATE_SCHEMA} CASCADE")
    tenant = tenant_provision(name="Rebuilt", slug="rebuilt-probe")
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        assert schema_template._expected_migrations() <= set(cursor.fetchall())


@pytest.mark.django_db
def test_a_template_behind_the_code_is_not_copied(monkeypatch):
    """A migration the template cannot get (here: one that does not exist) means migrations."""
    expected = schema_template._expected_migrations() | {("contracts", "9999_not_applied")}
    monkeypatch.setattr(schema_template, "_expected", expected)
    tenant = tenant_provision(name="Fallback", slug="fallback-probe")
    monkeypatch.setattr(schema_template, "_expected", None)
    with schema_context(tenant.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] == len(schema_template._expected_migrations())


@pytest.mark.django_db
def test_the_template_is_not_a_tenant_of_the_lists():
    schema_template.ensure_template()
    assert schema_template.TEMPLATE_SCHEMA not in {t.schema_name for t in tenant_list()}
