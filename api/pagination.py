"""The reference's list envelope: {count, next, previous, results} with limit/offset/sort."""

from typing import Literal
from urllib.parse import urlencode

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable
from django.http import HttpResponse
from ninja import Schema
from pydantic import Field, create_model

from core.errors import InvalidInput
from core.pages import split_total, with_total

MAX_LIMIT = 100


class PageParams(Schema):
    limit: int = Field(20, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=10_000_000)
    sort: str | None = None


def page_params(name: str, sortable) -> type[PageParams]:
    """The page parameters of one list, whose `sort` is an enum of the keys it sorts by.

    Each key is offered ascending and "-"-prefixed (descending); a key given with its "-" is
    the list's only order. The enum is in the OpenAPI document, so clients (and the fuzz test)
    know which values are accepted; anything else is a 400 from validation.
    """
    choices = tuple(
        choice
        for key in sorted(sortable)
        for choice in ((key,) if key.startswith("-") else (key, f"-{key}"))
    )
    sort = Field(None, description='Sort key; a "-" prefix sorts descending')
    return create_model(name, __base__=PageParams, sort=(Literal[choices] | None, sort))


def ordering(sort: str | None, *, allowed: dict[str, str], default: tuple[str, ...]):
    """Maps a public sort key ("-value", validated by page_params) to model fields."""
    if not sort:
        return default
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in allowed:
        raise InvalidInput({"sort": [f"Unknown sort field '{key}'. Allowed: {sorted(allowed)}"]})
    field = allowed[key]
    return (f"-{field}" if descending else field, "-id" if descending else "id")


def _link(request, offset: int) -> str:
    params = request.GET.copy()
    params["offset"] = str(offset)
    return f"{request.path}?{urlencode(sorted(params.items()))}"


def _page_and_count(queryset: QuerySet, page: PageParams) -> tuple[list, int]:
    """The page's rows and how many rows there are in all, in ONE statement (core.pages).

    Querysets the subquery cannot count as Django would (distinct, grouped, combined, flat,
    dicts) take two statements.
    """
    query = queryset.query
    window = slice(page.offset, page.offset + page.limit)
    as_tuples = queryset._iterable_class is ValuesListIterable
    if (query.distinct or query.group_by is not None or query.combinator
            or queryset._iterable_class not in (ModelIterable, ValuesListIterable)):
        return list(queryset[window]), queryset.count()
    return split_total(list(with_total(queryset)[window]), offset=page.offset,
                       count_all=queryset.count, as_tuples=as_tuples)


def paginate(request, queryset: QuerySet, page: PageParams, serialize) -> dict:
    rows, count = _page_and_count(queryset, page)
    return page_envelope(request, page, count, [serialize(row) for row in rows])


def page_envelope(request, page: PageParams, count: int, results: list) -> dict:
    """The reference's list body for `results`, the page `page` of `count` rows."""
    next_offset = page.offset + page.limit
    previous = None
    if page.offset > 0:
        previous = _link(request, max(0, page.offset - page.limit))
    return {
        "count": count,
        "next": _link(request, next_offset) if next_offset < count else None,
        "previous": previous,
        "results": results,
    }


_encode_dates = DjangoJSONEncoder().default


def json_response(body: dict, status: int = 200) -> HttpResponse:
    """The body as JSON without ninja's response validation, for hot lists and details.

    Validating a 20-row page through Pydantic and json.dumps cost about 13% of the request's
    CPU (bench/README.md); orjson takes 1/50 of that. The operation keeps `response=` for the
    OpenAPI document, so the body must already have the schema's shape (payload functions
    build it). Dates go through Django's encoder, so the JSON is the same as ninja's.
    """
    data = orjson.dumps(body, default=_encode_dates, option=orjson.OPT_PASSTHROUGH_DATETIME)
    return HttpResponse(data, status=status, content_type="application/json; charset=utf-8")
