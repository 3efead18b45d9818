"""Clause rules, free of I/O: ids, mandatory rules, conflicts, and checking a chosen clause set."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from core.errors import ConflictingInput, InvalidInput

CLAUSE_ID = re.compile(r"^[A-Z][A-Z0-9_]{0,19}-[A-Z0-9_-]{1,29}$")
# A reference may pin a version: "CONF-001@2". Without it, the latest version is meant.
REF = re.compile(r"^(?P<id>[^@\s]+)(?:@(?P<version>[1-9][0-9]{0,5}))?$")
MAX_SELECTED = 200


def normalise_id(value: str) -> str:
    return value.strip().upper()


def check_clause_id(clause_id: str, *, field_name: str = "clause_id") -> str:
    clause_id = normalise_id(clause_id)
    if not CLAUSE_ID.match(clause_id):
        raise InvalidInput({field_name: [
            f"'{clause_id}' is not a clause id like CONF-001 (letters, digits, '-' and '_')"
        ]})
    return clause_id


def parse_ref(ref: str) -> tuple[str, int | None]:
    """("CONF-001", None) for "conf-001"; ("CONF-001", 2) for "CONF-001@2"; ValueError if bad."""
    match = REF.match(ref.strip())
    if not match or not CLAUSE_ID.match(normalise_id(match["id"])):
        raise ValueError(ref)
    version = match["version"]
    return normalise_id(match["id"]), int(version) if version else None


def parse_refs(refs: list[str], *, field_name: str = "selected_clauses") -> list[tuple]:
    if len(refs) > MAX_SELECTED:
        raise InvalidInput({field_name: [f"At most {MAX_SELECTED} clauses"]})
    parsed, bad = [], []
    for ref in refs:
        try:
            parsed.append(parse_ref(ref))
        except ValueError:
            bad.append(f"Unknown clause: {ref}")
    if bad:
        raise InvalidInput({field_name: bad})
    return parsed


def check_links(clause_id: str, *, alternatives: list[str], conflicts_with: list[str]) -> dict:
    """Normalised alternatives/conflicts_with; a clause may not point at itself."""
    result = {}
    for name, ids in (("alternatives", alternatives), ("conflicts_with", conflicts_with)):
        cleaned = []
        for raw in ids:
            other = check_clause_id(raw, field_name=name)
            if other == clause_id:
                raise ConflictingInput({name: ["A clause cannot refer to itself"]})
            if other not in cleaned:
                cleaned.append(other)
        result[name] = cleaned
    return result


def _types_text(types: list[str]) -> str:
    return ", ".join(types)


def applies_to(clause, contract_type: str) -> bool:
    types = [t.lower() for t in clause.contract_types or []]
    return not types or contract_type.lower() in types


def mandatory_message(clause, rule: dict) -> str:
    if rule.get("message"):
        return rule["message"]
    types = rule.get("contract_types") or []
    text = f"{clause.name} required for " + (
        f"{_types_text(types)} contracts" if types else "all contracts"
    )
    if rule.get("min_value") is not None:
        text += f" with a value of at least {rule['min_value']}"
    return text


def rule_requires(clause, *, contract_type: str, value: Decimal) -> bool:
    """Whether the clause's mandatory_rule makes it mandatory for this contract."""
    rule = clause.mandatory_rule
    if not rule or not clause.is_active or not applies_to(clause, contract_type):
        return False
    types = [t.lower() for t in rule.get("contract_types") or []]
    if types and contract_type.lower() not in types:
        return False
    minimum = rule.get("min_value")
    return minimum is None or value >= Decimal(str(minimum))


@dataclass
class Evaluation:
    """The outcome of checking a clause set; `chosen` is what a document would contain."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mandatory: list[dict] = field(default_factory=list)
    chosen: list = field(default_factory=list)
    added: list = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    conflicts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.errors

    @property
    def blocking(self) -> list[str]:
        """Problems generation cannot fix by itself (missing mandatory clauses it adds)."""
        return [e for e in self.errors if not e.startswith("Mandatory clause missing")]


def evaluate(
    *,
    refs: list[tuple[str, int | None]],
    contract_type: str,
    value: Decimal,
    latest: dict,
    pinned: dict,
    rule_clauses: list,
    template_mandatory: list[str] = (),
    template_name: str | None = None,
) -> Evaluation:
    """Checks `refs` against the library.

    latest: clause_id -> latest row for every id referenced (selected or template-mandatory);
    pinned: (clause_id, version) -> row for pinned references; rule_clauses: latest rows that
    carry a mandatory_rule.
    """
    result = Evaluation()
    seen: set[str] = set()
    for clause_id, version in refs:
        if clause_id in seen:
            result.errors.append(f"Duplicate clause: {clause_id}")
            continue
        current = latest.get(clause_id)
        row = current if version is None else pinned.get((clause_id, version))
        if row is None:
            label = clause_id if version is None else f"{clause_id}@{version}"
            result.errors.append(f"Unknown clause: {label}")
            result.unknown.append(label)
            continue
        seen.add(clause_id)
        result.chosen.append(row)
        if not current.is_active:
            result.warnings.append(f"Clause {clause_id} is inactive")
        if row.version != current.version:
            result.warnings.append(
                f"Clause {clause_id} version {row.version} is superseded by version "
                f"{current.version}"
            )
        if not applies_to(current, contract_type):
            result.warnings.append(
                f"Clause {clause_id} does not apply to {contract_type} contracts"
            )

    required: list[tuple] = []
    for clause_id in template_mandatory:
        row = latest.get(clause_id)
        if row is None:
            result.errors.append(f"Unknown clause: {clause_id}")
            result.unknown.append(clause_id)
            continue
        message = f"Required by template '{template_name}'" if template_name else "Required"
        required.append((row, message, "template"))
    for row in sorted(rule_clauses, key=lambda c: c.clause_id):
        if rule_requires(row, contract_type=contract_type, value=value):
            required.append((row, mandatory_message(row, row.mandatory_rule), "rule"))
    listed: set[str] = set()
    for row, message, source in required:
        if row.clause_id in listed:
            continue
        listed.add(row.clause_id)
        result.mandatory.append({
            "clause_id": row.clause_id, "name": row.name, "message": message, "source": source,
        })
        if row.clause_id not in seen:
            result.errors.append(f"Mandatory clause missing: {row.clause_id}")
            result.added.append(row)

    final = result.chosen + result.added
    for i, a in enumerate(final):
        for b in final[i + 1:]:
            if b.clause_id in (a.conflicts_with or []) or a.clause_id in (b.conflicts_with or []):
                pair = tuple(sorted((a.clause_id, b.clause_id)))
                if pair not in result.conflicts:
                    result.conflicts.append(pair)
                    result.errors.append(f"Conflicting clauses: {pair[0]}, {pair[1]}")
    return result
