"""django-tenants' database wrapper that skips `SET search_path` when the path is already set.

django-tenants issues `SET search_path` before every query unless TENANT_LIMIT_SET_CALLS is on,
and that setting once left a stale path after a savepoint rollback (django-tenants issue 1262),
so another tenant's rows could be read. Here the path actually applied on the connection is
remembered and forgotten on everything that can undo it: a new connection, close, rollback and
savepoint rollback. The result is at most one SET per tenant switch, without that risk.

`public_lookup()` lets the tenant middleware read public-only tables (tenants, domains) on the
path the previous request left applied, when that path includes public: those tables exist in
no other schema, so they resolve the same, and a tenant's first request costs one SET, not two.
New connections start on the public path (a libpq startup option, no round trip), so a fresh
connection's first request needs no SET for its look-ups either.

A persistent connection is health-checked at each request's first query, a round trip of its
own (`SELECT 1`). When that query needs a new path, the SET is the check: a tenant switch then
costs the same two round trips as a request that stays on its tenant (README, Benchmarks).
"""

from contextlib import contextmanager

from django.db import Error
from django_tenants.postgresql_backend import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._applied_search_path = None
        self._public_lookup = False

    @contextmanager
    def public_lookup(self):
        """Queries of public-only tables only, inside: no SET when public is already searched."""
        self._public_lookup = True
        try:
            yield
        finally:
            self._public_lookup = False

    def _public_path(self) -> list[str]:
        schema = self.schema_name
        self.schema_name = base.get_public_schema_name()
        try:
            return self._get_cursor_search_paths()
        finally:
            self.schema_name = schema

    def get_connection_params(self):
        params = super().get_connection_params()
        path = ",".join(base.quote_schema_name(s) for s in self._public_path())
        options = params.get("options", "")
        params["options"] = f"{options} -c search_path={path}".strip()
        return params

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        # Set by the startup option above (a pooler that drops it leaves the server default,
        # "$user", public: public-only tables still resolve, and tenant paths are always SET).
        # Known before connection_created handlers (type registration) run their queries.
        self._applied_search_path = self._public_path()
        return connection

    def connect(self):
        self._applied_search_path = None
        super().connect()

    def close(self):
        self._applied_search_path = None
        super().close()

    def rollback(self):
        self._applied_search_path = None
        super().rollback()

    def savepoint_rollback(self, sid):
        self._applied_search_path = None
        super().savepoint_rollback(sid)

    def _needs_set(self) -> bool:
        """Whether the next query needs a SET, i.e. the applied path does not serve it."""
        wanted = self._get_cursor_search_paths()
        applied = self._applied_search_path
        if applied == wanted:
            return False
        return not (self._public_lookup and applied and set(wanted) <= set(applied))

    def _handle_search_path(self, cursor=None):
        if self._setting_search_path or self._needs_set():
            self._set_search_path(cursor)

    def _set_search_path(self, cursor=None):
        super()._handle_search_path(cursor)
        self._applied_search_path = self.search_path_set_schemas

    def close_if_health_check_failed(self):
        due = (self.connection is not None and self.health_check_enabled
               and not self.health_check_done and not self._setting_search_path)
        if not (due and self.schema_name and self._needs_set()):
            return super().close_if_health_check_failed()
        self.health_check_done = True
        try:
            # On a wrapped cursor, so the SET is counted like any other query.
            with self.wrap_database_errors, self._prepare_cursor(self.create_cursor()) as cursor:
                self._set_search_path(cursor)
        except Error:
            self._applied_search_path = None
        if self._applied_search_path is None:  # django-tenants leaves it unset on a failed SET
            self.close()  # as a failed `SELECT 1` would: the next query reconnects
