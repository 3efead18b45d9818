"""Template rules, free of I/O: shape of business rules, merge fields, and checking inputs."""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from core.errors import ConflictingInput, InvalidInput

MERGE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
KEY = re.compile(r"^templates/[A-Za-z0-9][A-Za-z0-9._/-]{0,480}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
RULE_KEYS = ("min_value", "max_value", "allowed_currencies", "max_term_months", "required_fields")


def _number(value, name: str, errors: dict) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors.setdefault(name, []).append("Must be a number")
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        errors.setdefault(name, []).append("Must be a number")
        return None
    if not number.is_finite() or number < 0:
        errors.setdefault(name, []).append("Must be a number >= 0")
        return None
    return number


def check_business_rules(rules: dict) -> dict:
    """Validates and normalises business_rules; unknown rules are refused, not ignored."""
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(rules) - set(RULE_KEYS))
    if unknown:
        errors["business_rules"] = [f"Unknown rule: {k}. Allowed: {', '.join(RULE_KEYS)}"
                                    for k in unknown]
    out: dict = {}
    low = _number(rules.get("min_value"), "business_rules.min_value", errors)
    high = _number(rules.get("max_value"), "business_rules.max_value", errors)
    inverted = low is not None and high is not None and high < low
    for name, number in (("min_value", low), ("max_value", high)):
        if number is not None:
            out[name] = float(number)
    if "allowed_currencies" in rules:
        currencies = rules["allowed_currencies"]
        if not isinstance(currencies, list) or not all(
            isinstance(c, str) and CURRENCY.match(c) for c in currencies
        ):
            errors.setdefault("business_rules.allowed_currencies", []).append(
                "Must be a list of ISO 4217 codes such as USD"
            )
        else:
            out["allowed_currencies"] = sorted(set(currencies))
    if "max_term_months" in rules:
        months = rules["max_term_months"]
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 1200:
            errors.setdefault("business_rules.max_term_months", []).append(
                "Must be a whole number of months between 1 and 1200"
            )
        else:
            out["max_term_months"] = months
    if "required_fields" in rules:
        names = rules["required_fields"]
        if not isinstance(names, list) or not all(
            isinstance(n, str) and MERGE_FIELD.match(n) for n in names
        ):
            errors.setdefault("business_rules.required_fields", []).append(
                "Must be a list of field names (letters, digits, underscore)"
            )
        else:
            out["required_fields"] = list(dict.fromkeys(names))
    if errors:
        raise InvalidInput(errors)
    if inverted:
        raise ConflictingInput(
            {"business_rules.max_value": ["max_value must be greater than or equal to min_value"]}
        )
    return out


def check_merge_fields(names: list[str]) -> list[str]:
    bad = [n for n in names if not MERGE_FIELD.match(n)]
    if bad:
        raise InvalidInput({"merge_fields": [
            f"'{n}' is not a field name (letters, digits, underscore)" for n in bad
        ]})
    return list(dict.fromkeys(names))


def check_key(key: str) -> str:
    if key and (not KEY.match(key) or ".." in key.split("/")):
        raise InvalidInput({"r2_key": ["Template files live under 'templates/' (e.g. "
                                       "templates/nda.docx)"]})
    return key


def _months_between(start: date, end: date) -> float:
    whole = (end.year - start.year) * 12 + (end.month - start.month)
    return whole + (end.day - start.day) / 31


def check_inputs(*, rules: dict, fields: dict, merge_values: dict, required: list[str]) -> dict:
    """Blocking problems of generation inputs as {"structured_inputs.<name>": [messages]}."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(f"structured_inputs.{name}", []).append(message)

    provided = {k for k, v in {**merge_values, **fields}.items() if v not in (None, "")}
    for name in dict.fromkeys([*required, *rules.get("required_fields", [])]):
        if name not in provided:
            add(name, "Field is required by the template")
    value = fields.get("value")
    if value is not None:
        if "min_value" in rules and value < Decimal(str(rules["min_value"])):
            add("value", f"Value must be at least {rules['min_value']:g}")
        if "max_value" in rules and value > Decimal(str(rules["max_value"])):
            add("value", f"Value must be at most {rules['max_value']:g}")
    currency = fields.get("currency")
    allowed = rules.get("allowed_currencies")
    if allowed and currency not in allowed:
        add("currency", f"Currency must be one of: {', '.join(allowed)}")
    start, end = fields.get("start_date"), fields.get("end_date")
    limit = rules.get("max_term_months")
    if limit and start and end and end >= start and _months_between(start, end) > limit:
        add("end_date", f"The term may not exceed {limit} months")
    return errors
