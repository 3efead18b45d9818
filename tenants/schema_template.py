"""New tenant schemas copied from a migrated template schema instead of running migrations.

Running every migration for each new tenant costs 2-3 s, django-tenants' `clone_schema`
about 1.3 s. Here a template tenant (a real, inactive `Tenant` row, so `migrate_schemas`
migrates it with every other tenant) is read from the catalog once per migration state and
turned into one SQL script: tables (`LIKE ... INCLUDING` columns, defaults, identity), their
rows (migration records, content types, seeded data), then constraints, indexes, functions and
triggers under the template's own names, so later migrations find what they expect. The script
runs in one round trip inside the caller's transaction.

Safety: before each copy the template's applied migrations are compared with the code's
migration graph; a missing or stale template is (re)built by migrations first, under an
advisory lock. A template holding an object kind the script does not reproduce (views, enum
types, free sequences, ...) is refused and the caller falls back to migrations.
"""

import re

from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import schema_context

from tenants.models import Tenant

TEMPLATE_SCHEMA = "tenant_template"
# Never a valid requested slug (they start and end with [a-z0-9]) nor a derived one.
TEMPLATE_SLUG = "-template-"
_LOCK_KEY = 0x636C6D74  # "clmt": serialises building/migrating the template

_FUNCTION_HEAD = re.compile(r"^(CREATE OR REPLACE (?:FUNCTION|PROCEDURE)) [^(]+\(")

_expected: frozenset | None = None
_script_cache: dict[frozenset, str] = {}


class TemplateUnusable(Exception):
    """The template holds something the copy would not reproduce; use migrations."""


def _expected_migrations() -> frozenset:
    """Every migration of the code: what a schema made by `migrate_schemas` has applied."""
    global _expected
    if _expected is None:
        _expected = frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    return _expected


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _applied(cursor) -> frozenset | None:
    cursor.execute("SELECT to_regclass(%s)", [f"{_q(TEMPLATE_SCHEMA)}.django_migrations"])
    if cursor.fetchone()[0] is None:
        return None
    cursor.execute(f"SELECT app, name FROM {_q(TEMPLATE_SCHEMA)}.django_migrations")
    return frozenset(cursor.fetchall())


def ensure_template() -> frozenset:
    """The template, migrated to the code's state; returns its applied migrations."""
    expected = _expected_migrations()
    with connection.cursor() as cursor:
        applied = _applied(cursor)
        if applied is not None and expected <= applied:
            return applied
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        applied = _applied(cursor)
        if applied is not None and expected <= applied:
            return applied
    template, _ = Tenant.objects.get_or_create(
        schema_name=TEMPLATE_SCHEMA,
        defaults={"name": "Template (new tenant schemas are copied from it)",
                  "slug": TEMPLATE_SLUG, "is_active": False},
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(template.schema_name)}")
    # Applies whatever migrations it lacks (all of them for a new schema).
    call_command("migrate_schemas", tenant=True, schema_name=template.schema_name,
                 interactive=False, verbosity=0)
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        applied = _applied(cursor)
    if applied is None or not expected <= applied:
        raise TemplateUnusable("the template schema is not fully migrated")
    return applied


# Object kinds the script reproduces: tables ('r'), their indexes ('i') and identity sequences.
_CHECKS = [
    ("relations other than tables, indexes and sequences",
     "SELECT count(*) FROM pg_class WHERE relnamespace = %s::regnamespace"
     " AND relkind NOT IN ('r', 'i', 'S')"),
    ("sequences not owned by an identity column",
     "SELECT count(*) FROM pg_class s WHERE s.relnamespace = %s::regnamespace"
     " AND s.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = s.oid"
     " AND d.classid = 'pg_class'::regclass AND d.deptype = 'i')"),
    ("types of their own (enums, domains, ranges)",
     "SELECT count(*) FROM pg_type WHERE typnamespace = %s::regnamespace"
     " AND typtype NOT IN ('b', 'c')"),
    ("disabled triggers or row security",
     "SELECT (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
     " WHERE c.relnamespace = %s::regnamespace AND NOT g.tgisinternal AND g.tgenabled <> 'O')"
     " + (SELECT count(*) FROM pg_class c WHERE c.relnamespace = %s::regnamespace"
     " AND c.relrowsecurity)"),
]


def _build_script(cursor) -> str:
    """The template as SQL run with search_path "<new schema>, public" (names unqualified)."""
    ns = TEMPLATE_SCHEMA
    for what, sql in _CHECKS:
        cursor.execute(sql, [ns] * sql.count("%s"))
        if cursor.fetchone()[0]:
            raise TemplateUnusable(f"the template holds {what}")
    cursor.execute(
        "SELECT c.oid, c.relname, obj_description(c.oid, 'pg_class') FROM pg_class c"
        " WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' ORDER BY c.relname", [ns])
    tables = cursor.fetchall()
    head, rows, tail = [], [], []
    for oid, name, comment in tables:
        head.append(f"CREATE TABLE {_q(name)} (LIKE {_q(ns)}.{_q(name)} INCLUDING DEFAULTS"
                    " INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE"
                    " INCLUDING COMMENTS INCLUDING COMPRESSION)")
        if comment is not None:
            head.append(f"COMMENT ON TABLE {_q(name)} IS {_literal(cursor, comment)}")
        cursor.execute(
            "SELECT attname, attidentity <> '' FROM pg_attribute WHERE attrelid = %s"
            " AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum", [oid])
        columns = cursor.fetchall()
        cols = ", ".join(_q(c) for c, _ in columns)
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {_q(ns)}.{_q(name)})")
        if cursor.fetchone()[0]:
            rows.append(f"INSERT INTO {_q(name)} ({cols}) OVERRIDING SYSTEM VALUE"
                        f" SELECT {cols} FROM {_q(ns)}.{_q(name)}")
        for column, is_identity in columns:
            if not is_identity:
                continue
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [f"{_q(ns)}.{_q(name)}",
                                                                     column])
            sequence = cursor.fetchone()[0]
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last_value, is_called = cursor.fetchone()
            if is_called:
                rows.append(f"SELECT setval(pg_get_serial_sequence({_literal(cursor, name)},"
                            f" {_literal(cursor, column)}), {int(last_value)}, true)")
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)"
        " FROM pg_constraint c WHERE c.connamespace = %s::regnamespace AND c.conrelid <> 0"
        " ORDER BY CASE c.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 2"
        " WHEN 'c' THEN 3 ELSE 5 END, c.conrelid::regclass::text, c.conname", [ns])
    constraints = cursor.fetchall()
    foreign = []
    for table, name, definition in constraints:
        statement = f"ALTER TABLE {table} ADD CONSTRAINT {_q(name)} {definition}"
        (foreign if definition.startswith("FOREIGN KEY") else tail).append(statement)
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c"
        " ON c.oid = i.indexrelid WHERE c.relnamespace = %s::regnamespace AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN"
        " ('p', 'u', 'x')) ORDER BY c.relname", [ns])
    indexes = [row[0] for row in cursor.fetchall()]
    # Index and trigger definitions always name their table's schema; the copy's is on the path.
    cursor.execute("SELECT quote_ident(%s)", [ns])
    on_template = f" ON {cursor.fetchone()[0]}."
    tail.extend(index.replace(on_template, " ON ", 1) for index in indexes)
    tail.extend(foreign)
    cursor.execute(
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p"
        " WHERE p.pronamespace = %s::regnamespace ORDER BY p.proname", [ns])
    for name, definition in cursor.fetchall():
        tail.append(_FUNCTION_HEAD.sub(rf"\1 {_q(name)}(", definition, count=1))
    cursor.execute(
        "SELECT pg_get_triggerdef(g.oid) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
        " WHERE c.relnamespace = %s::regnamespace AND NOT g.tgisinternal ORDER BY g.tgname",
        [ns])
    tail.extend(row[0].replace(on_template, " ON ", 1) for row in cursor.fetchall())
    if any(ns in statement for statement in tail):
        raise TemplateUnusable("a definition names the template schema itself")
    return ";\n".join(head + rows + tail) + ";\n"


def _literal(cursor, value: str) -> str:
    cursor.execute("SELECT quote_literal(%s)", [value])
    return cursor.fetchone()[0]


def copy_template(schema_name: str) -> None:
    """Creates `schema_name` as a copy of the migrated template (in the current transaction)."""
    applied = ensure_template()
    script = _script_cache.get(applied)
    if script is None:
        # With the template first on the path the catalog prints its objects unqualified (and
        # public ones too), exactly as the migrations wrote them.
        with schema_context(TEMPLATE_SCHEMA), connection.cursor() as cursor:
            script = _build_script(cursor)
        _script_cache.clear()
        _script_cache[applied] = script
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {_q(schema_name)}")
    # The wrapper applies "<schema>, public" before the script: unqualified names land there.
    with schema_context(schema_name), connection.cursor() as cursor:
        cursor.execute(script)
