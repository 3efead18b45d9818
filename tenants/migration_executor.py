"""`migrate_schemas` executors that leave out tenant schemas with nothing to migrate.

django-tenants runs Django's whole `migrate` command in every tenant schema (loader, project
state, post_migrate): about 0.4 s a schema even when there is nothing to do, so minutes over
a thousand tenants. Here the executor `--executor` names (standard, multiprocessing, ...) is
wrapped: before it starts, one catalog query and one query per `CHUNK` schemas find the tenant
schemas whose `django_migrations` already records every node of the migration graph. Those
are left out; the others (a missing record, no `django_migrations` at all) go to the executor
exactly as before. The public schema is always handed over.

Every node, not only the tenant apps' ones: `migrate` in a tenant schema records the
migrations of shared-only apps too (the router makes their operations no-ops), and
`schema_template.ensure_template` holds the template to all of them. So a skipped schema is
one where Django's own plan would be empty, and a schema missing any record is migrated.

What skipping leaves out of a no-op `migrate`, and why that is safe here:
- post_migrate: the only receivers are Django's. `create_permissions` does nothing in tenant
  schemas (auth is shared-only). `create_contenttypes` only adds rows for models whose content
  type is missing; every model comes with a migration (the apps without migrations have no
  models), so their rows were made when that migration was applied, or copied with the
  template's rows. Nothing in the project reads content types from tenant schemas.
- django-tenants' schema_pre_migration / schema_migrated signals: nothing listens to them;
  built-in roles are seeded by `tenant_provision`, not after migrations.
- system checks: run once anyway, for the public schema.

Only a plain run is shortened: with an app label or a migration name, or with an option that
changes what `migrate` does (--fake, --fake-initial, --plan, --check, --prune, --run-syncdb), or
for one schema named by --schema, every schema is handed over as before.

Chosen by `settings.GET_EXECUTOR_FUNCTION`, django-tenants' hook for picking an executor, so the
command keeps its name and options (Helm job, run_local, compose) and its own `migrate`
alias, which test databases are built with, takes the same path.
"""

import sys

from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django_tenants import migration_executors

# Schemas per statement. Each read holds a lock on its table until the statement's
# transaction ends; the server's lock table is sized max_locks_per_transaction (64) times
# max_connections, so one statement over thousands of schemas could exhaust it.
CHUNK = 500

# Options under which `migrate` does something even when every migration is applied.
_SEMANTIC_OPTIONS = (
    "app_label", "migration_name", "fake", "fake_initial", "plan", "check_unapplied", "prune",
    "run_syncdb",
)

_classes: dict[type, type] = {}


def get_executor(codename=None):
    """django-tenants' executor for `codename`, leaving out up-to-date tenant schemas."""
    base = migration_executors.get_executor(codename)
    if base not in _classes:
        _classes[base] = type(f"UpToDateSkipping{base.__name__}", (SkipUpToDate, base), {})
    return _classes[base]


class SkipUpToDate:
    """Mixed in before a django-tenants executor class."""

    def run_migrations(self, tenants=None):
        tenants = list(tenants or [])
        if self._may_skip(tenants):
            pending = set(pending_schemas(
                [s for s in tenants if s != self.PUBLIC_SCHEMA_NAME],
                using=self.options.get("database") or self.TENANT_DB_ALIAS,
            ))
            kept = [s for s in tenants if s == self.PUBLIC_SCHEMA_NAME or s in pending]
            if int(self.options.get("verbosity", 1)) >= 1:
                stdout = self.options.get("stdout") or sys.stdout
                stdout.write(f"[{self.codename}] {len(tenants) - len(kept)} of {len(tenants)}"
                             " tenant schemas skipped: every migration already applied\n")
            tenants = kept
        super().run_migrations(tenants=tenants)

    def _may_skip(self, tenants: list[str]) -> bool:
        if tenants in ([], [self.PUBLIC_SCHEMA_NAME]) or self.options.get("schema_name"):
            return False
        return not any(self.options.get(name) for name in _SEMANTIC_OPTIONS)


def _expected_migrations() -> list[tuple[str, str]] | None:
    """The graph's nodes, or None when `migrate` would refuse the graph (conflicts)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    if loader.detect_conflicts():
        return None  # every schema goes to `migrate`, which reports them
    return sorted(loader.graph.nodes)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def pending_schemas(schemas: list[str], *, using: str = "default") -> list[str]:
    """Those of `schemas` whose django_migrations lacks a migration of the code, or is missing."""
    expected = _expected_migrations()
    if expected is None or not schemas:
        return list(schemas)
    apps, names = [list(column) for column in zip(*expected, strict=True)]
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid"
            " WHERE n.nspname = ANY(%s) AND c.relname = 'django_migrations'"
            " AND c.relkind IN ('r', 'p')",
            [list(schemas)],
        )
        recorded = {row[0] for row in cursor.fetchall()}
        candidates = [s for s in schemas if s in recorded]
        incomplete = set()
        for start in range(0, len(candidates), CHUNK):
            chunk = candidates[start:start + CHUNK]
            # One row per schema that misses at least one expected (app, name).
            branches = " UNION ALL ".join(
                "SELECT %s::text WHERE EXISTS (SELECT FROM expected e WHERE NOT EXISTS"
                f" (SELECT FROM {_q(schema)}.django_migrations m"
                " WHERE m.app = e.app AND m.name = e.name))"
                for schema in chunk
            )
            cursor.execute(
                "WITH expected (app, name) AS (SELECT * FROM unnest(%s::text[], %s::text[]))"
                f" {branches}",
                [apps, names, *chunk],
            )
            incomplete.update(row[0] for row in cursor.fetchall())
    return [s for s in schemas if s not in recorded or s in incomplete]

