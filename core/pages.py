"""Pages of rows with their total count, and SQL compiled once per query shape.

`with_total` puts the count of all rows beside each row of a page, as a scalar subquery that
PostgreSQL evaluates once (an InitPlan) before the page's index scan: one statement, one round
trip. `CompiledShapes` serves the hottest list (the contracts) without building and compiling
its queryset per request, which cost about 1 ms of Python, more than the whole framework
around it (README, Benchmarks). The ORM stays the one definition of the query: each shape
(which filters are present, which order) is compiled from a queryset built with sentinel
values, and each call substitutes its own values for the sentinels' parameters.
"""

import threading
import uuid

from django.db import connection
from django.db.models import BigIntegerField, Func, QuerySet, Subquery

TOTAL = "_page_total"
# count(*) as a plain expression: Django would GROUP BY for an aggregate on a values() query.
_COUNT_ALL = Func(template="count(*)", output_field=BigIntegerField())


def with_total(queryset: QuerySet, total=None) -> QuerySet:
    """`queryset` with TOTAL on every row (the last column of tuples): the count of all its
    rows, or `total`, an expression known to equal it that is cheaper to read."""
    if total is None:
        total = Subquery(queryset.order_by().values(**{TOTAL: _COUNT_ALL}))
    return queryset.annotate(**{TOTAL: total})


def split_total(rows: list, *, offset: int, count_all, as_tuples: bool = True) -> tuple[list, int]:
    """(the rows without TOTAL, TOTAL). An empty page carries no total: past the end it is
    counted by `count_all()`, on the first page it is 0."""
    if not rows:
        return [], count_all() if offset else 0
    if as_tuples:  # the total is the tuple's last column
        return [row[:-1] for row in rows], rows[0][-1]
    return rows, getattr(rows[0], TOTAL)


def sentinel() -> str:
    """A value no client sends and no escaping changes (hex digits only)."""
    return f"shape{uuid.uuid4().hex}"


class CompiledShapes:
    """SQL of a page query, compiled once per shape and run with each call's values.

    `compile_shape(shape)` returns the queryset of that shape built from sentinels (anything
    hashable describing which filters are present and the order), and the expression of its
    total or None (count the rows). `page()` runs its SQL with LIMIT/OFFSET, each parameter
    equal to a key of `values` replaced by that key's value.
    """

    def __init__(self, compile_shape):
        self._compile_shape = compile_shape
        self._sql: dict = {}
        self._lock = threading.Lock()

    def _compiled(self, shape) -> tuple[str, tuple]:
        compiled = self._sql.get(shape)
        if compiled is None:
            sql, params = with_total(*self._compile_shape(shape)).query.sql_with_params()
            compiled = (f"{sql} LIMIT %s OFFSET %s", params)
            with self._lock:
                self._sql[shape] = compiled
        return compiled

    def page(self, shape, values: dict, *, offset: int, limit: int,
             count_all) -> tuple[list, int]:
        """(the page's rows, the count of all); `count_all` counts when the page is empty."""
        sql, params = self._compiled(shape)
        bound = [values.get(p, p) if isinstance(p, str) else p for p in params]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*bound, limit, offset])
            rows = cursor.fetchall()
        return split_total(rows, offset=offset, count_all=count_all)
