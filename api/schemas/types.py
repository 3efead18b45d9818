"""Strict input types shared by every wire schema: what the OpenAPI document says is what passes.

Pydantic's lax mode turns `0` into a date or `false`, `"5"` into an int and `"0"` into a
Decimal, so requests the schema calls invalid were accepted (the fuzz test, issue 9). These
types accept only the JSON type their schema documents. Query parameters arrive as strings, so
dates parse from strings only; booleans and integers in bodies are strict.
"""

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from ninja import Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictBool,
    WithJsonSchema,
    model_validator,
)

__all__ = [
    "Email", "Input", "Integer", "IsoDate", "IsoDateTime", "Money", "Number", "QueryBool",
    "RoleId", "StrictBool", "integer",
]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339 date-time (what `format: date-time` means): a "T" and an explicit offset.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")


def parse_iso_date(value):
    """A `YYYY-MM-DD` string only: no numbers (timestamps), no ISO week or basic forms."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("Enter a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError("Enter a date as YYYY-MM-DD") from exc


def parse_iso_datetime(value):
    """An RFC 3339 date-time string with its offset, e.g. 2026-01-12T10:00:00Z."""
    if not isinstance(value, str) or not _DATE_TIME.fullmatch(value):
        raise ValueError("Enter a date-time as 2026-01-12T10:00:00Z")
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("Enter a date-time as 2026-01-12T10:00:00Z") from exc


def _passthrough(parse):
    # Python callers (services' tests, defaults) may hand over the parsed value itself.
    def validate(value):
        return value if isinstance(value, date) else parse(value)

    return validate


IsoDate = Annotated[
    date,
    BeforeValidator(_passthrough(parse_iso_date)),
    WithJsonSchema({"type": "string", "format": "date"}),
]
IsoDateTime = Annotated[
    datetime,
    BeforeValidator(_passthrough(parse_iso_datetime)),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

# Money columns are NUMERIC(16, 2); a whole-unit bound keeps every value below it in range
# after rounding to cents.
MONEY_MAX = 99_999_999_999_999
CENT = Decimal("0.01")


def _money(value) -> Decimal:
    """A JSON number (never a string or a boolean), 0..MONEY_MAX, rounded half-up to cents."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("Enter a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("Enter a finite number")
    amount = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not 0 <= amount <= MONEY_MAX:
        raise ValueError(f"Enter an amount between 0 and {MONEY_MAX}")
    # `+ 0` turns -0.00 into 0.00.
    return amount.quantize(CENT, rounding=ROUND_HALF_UP) + 0


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": MONEY_MAX,
                    "description": "Amount; rounded to cents"}),
]

def _integer(value):
    # JSON Schema counts 2.0 as an integer; strings and booleans are not.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Input should be a valid integer")
    return value


def integer(**constraints):
    """An integer type with Field constraints (ge=, le=...); they must come before the validator
    for the OpenAPI document to spell them as minimum/maximum."""
    return Annotated[int, Field(**constraints), BeforeValidator(_integer)]


Integer = integer()

# A non-negative JSON number kept as a float (limits stored in JSON documents).
Number = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]

# A subset of what Django's validate_email accepts, spelled as a pattern so the schema says
# exactly which addresses pass: a dot-atom local part and an ASCII host name. Both checks run.
EMAIL_PATTERN = (
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64}(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,64})*"
    r"@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def _email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError("Enter a valid email address") from exc
    return value.lower()


Email = Annotated[
    str,
    Field(max_length=254, pattern=EMAIL_PATTERN),
    AfterValidator(_email),
]


def _query_bool(value):
    # Lax parsing would read "0", "no" or "off" as false; the schema's boolean is true|false.
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    if isinstance(value, bool):
        return value
    raise ValueError("Enter true or false")


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]

# Role ids as core.rbac.services makes them (a slug of the name, or the given id).
RoleId = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[a-z0-9_-]+$")]


class Input(Schema):
    """Base of request bodies and their nested objects: a JSON object and nothing else.

    Ninja's Schema reads attributes off any value (so `[null, null]` passed as an object with
    every field defaulted); a request must send an object.
    """

    @model_validator(mode="before")
    @classmethod
    def _object_only(cls, value):
        # Ninja's own (wrap) validator runs first and hands the value over wrapped.
        if not isinstance(getattr(value, "_obj", value), dict):
            raise ValueError("Input should be an object")
        return value

    @model_validator(mode="after")
    def _no_nul(self):
        # PostgreSQL text and JSON cannot hold NUL; the OpenAPI document forbids it in every
        # string (api/openapi.py), so it is refused here rather than failing at the INSERT.
        if _has_nul(self.model_dump()):
            raise ValueError("Text may not contain a NUL character")
        return self


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False
