"""Document use cases: generate a contract from a template, new versions, uploads, clones."""

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.db.models import Value
from django.utils import timezone

from core.audit.services import audit_record
from core.clauses import rules as clause_rules
from core.clauses import suggest as clause_suggest
from core.clauses.selectors import clause_active_latest, clause_set_evaluate
from core.contracts import rules as contract_rules
from core.contracts import services as contract_services
from core.contracts.models import LIVE, Contract, ContractStatus
from core.contracts.payloads import contract_payload
from core.documents import drafting, files, rendering, storage
from core.documents.models import ContractVersion, VersionSource
from core.errors import Conflict, InvalidInput, NotFound
from core.events.services import event_emit
from core.rbac.access import Principal
from core.rbac.permissions import Perm
from core.templates.models import ContractTemplate, TemplateStatus
from core.templates.rules import MERGE_FIELD, check_inputs

CONTRACT_FIELDS = ("counterparty", "value", "currency", "start_date", "end_date")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_MERGE_VALUE = 5000


# --- inputs -------------------------------------------------------------------------------

def _split_inputs(inputs: dict, *, contract_fields: bool = True) -> tuple[dict, dict]:
    """structured_inputs -> (contract fields, merge values), or a 400 naming each bad input."""
    errors: dict[str, list[str]] = {}
    fields: dict = {}
    merge: dict = {}

    def bad(name: str, message: str) -> None:
        errors.setdefault(f"structured_inputs.{name}", []).append(message)

    for name, raw in inputs.items():
        if name in CONTRACT_FIELDS:
            if not contract_fields:
                bad(name, "Change contract fields with PUT /api/contracts/{id}/")
            elif name == "value":
                try:
                    value = Decimal(str(raw))
                    if isinstance(raw, bool) or not value.is_finite() or value < 0:
                        raise InvalidOperation
                    fields["value"] = value.quantize(Decimal("0.01"))
                except (InvalidOperation, ValueError):
                    bad(name, "Value must be a number >= 0")
            elif name in ("start_date", "end_date"):
                try:
                    fields[name] = date.fromisoformat(str(raw)) if raw else None
                except ValueError:
                    bad(name, "Use an ISO date (YYYY-MM-DD)")
            elif name == "currency":
                if not (isinstance(raw, str) and CURRENCY.match(raw)):
                    bad(name, "Use an ISO 4217 code such as USD")
                else:
                    fields["currency"] = raw
            elif not isinstance(raw, str) or len(raw) > 255:
                bad(name, "Must be text of at most 255 characters")
            else:
                fields[name] = raw.strip()
            continue
        if not MERGE_FIELD.match(name):
            bad(name, "Not a field name (letters, digits, underscore)")
        elif raw is not None and not isinstance(raw, str | int | float | bool):
            bad(name, "Merge values must be text, numbers or booleans")
        elif isinstance(raw, str) and len(raw) > MAX_MERGE_VALUE:
            bad(name, f"At most {MAX_MERGE_VALUE} characters")
        else:
            merge[name] = raw
    start, end = fields.get("start_date"), fields.get("end_date")
    if start and end and end < start:
        bad("end_date", "End date must be on or after the start date")
    if errors:
        raise InvalidInput(errors)
    return fields, merge


def _render_fields(contract: Contract) -> dict:
    """Contract fields as a document shows them."""
    return {
        "counterparty": contract.counterparty,
        "value": f"{contract.value:,.2f}",
        "currency": contract.currency,
        "start_date": contract.start_date.isoformat() if contract.start_date else "",
        "end_date": contract.end_date.isoformat() if contract.end_date else "",
    }


# --- clauses ------------------------------------------------------------------------------

@dataclass
class ClausePlan:
    evaluation: clause_rules.Evaluation
    entries: list[dict]
    suggestions: dict


def _plan_clauses(
    *, actor: Principal, refs, contract_type: str, value: Decimal, template, values: dict,
    instructions: str, previous: list[dict] = (), errors: dict,
) -> ClausePlan:
    """Checks the clause set, adds mandatory clauses and builds the provenance snapshot."""
    evaluation = clause_set_evaluate(
        refs=refs, contract_type=contract_type, value=value,
        template_mandatory=template.mandatory_clauses if template else [],
        template_name=template.name if template else None,
    )
    if evaluation.blocking:
        errors.setdefault("selected_clauses", []).extend(evaluation.blocking)
    final = evaluation.chosen + evaluation.added
    needed: dict[str, str] = {}
    for clause in final:
        for name in sorted(rendering.text_fields(clause.content) - rendering.AUTO_FIELDS):
            needed.setdefault(name, clause.clause_id)
    for name, clause_id in needed.items():
        if values.get(name) in (None, ""):
            errors.setdefault(f"structured_inputs.{name}", []).append(
                f"Field is required by clause {clause_id}"
            )
    if errors:
        raise InvalidInput(errors)

    library = clause_active_latest()
    suggestions = clause_suggest.suggest(
        instructions=instructions, chosen=final, library=library, contract_type=contract_type
    )
    for clause_id, extra in drafting.extra_suggestions(
        instructions=instructions, clauses=final, library=library
    ).items():
        known = {s["clause_id"] for s in suggestions.get(clause_id, [])}
        suggestions.setdefault(clause_id, []).extend(
            s for s in extra if s["clause_id"] not in known
        )

    mandatory_ids = {m["clause_id"] for m in evaluation.mandatory}
    earlier = {e["clause_id"]: e for e in previous}
    was_suggested = {s["clause_id"] for e in previous for s in e.get("alternatives_suggested", [])}
    now = timezone.now().isoformat()
    template_ref = {
        "template_id": str(template.pk) if template else None,
        "template_version": template.version if template else None,
    }
    entries = []
    for position, clause in enumerate(final, start=1):
        kept = earlier.get(clause.clause_id)
        if kept and kept["clause_version"] == clause.version:
            provenance = kept["provenance"]
        else:
            if clause in evaluation.added:
                source = "template"
            elif clause.clause_id in was_suggested:
                source = "suggestion"
            else:
                source = "user"
            provenance = {"source": source, **template_ref, "added_at": now,
                          "added_by": str(actor.user.pk)}
        entries.append({
            "clause_id": clause.clause_id,
            "clause_version": clause.version,
            "name": clause.name,
            "content": rendering.render_text(clause.content, values),
            "is_mandatory": clause.clause_id in mandatory_ids,
            "position": position,
            "alternatives_suggested": suggestions.get(clause.clause_id, []),
            "provenance": provenance,
        })
    return ClausePlan(evaluation, entries, suggestions)


# --- rendering and storing ----------------------------------------------------------------

def _render(*, contract: Contract, template, party: str, merge_values: dict,
            entries: list[dict]) -> bytes:
    doc = rendering.RenderInput(
        title=contract.title,
        contract_type=contract.contract_type,
        party=party,
        counterparty=contract.counterparty,
        fields=_render_fields(contract),
        merge_values=merge_values,
        clauses=[
            rendering.RenderClause(e["position"], e["clause_id"], e["name"], e["content"])
            for e in entries
        ],
    )
    if template is not None and template.r2_key:
        return rendering.render_from_template(storage.read(template.r2_key), doc)
    return rendering.render_clean(doc)


def _locked_contract(contract_id) -> Contract:
    """Row lock: version numbers of one contract are handed out one at a time."""
    contract = Contract.objects.select_for_update().filter(LIVE, pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def _store_version(
    *, actor: Principal, contract: Contract, data: bytes, kind: files.Kind, source: str,
    change_summary: str, clauses: list[dict], merge_values: dict,
    template_id=None, template_version=None, announce: bool = True,
) -> ContractVersion:
    """Version n+1 of a locked contract: row, bytes in storage, search text, audit, event."""
    previous = (
        ContractVersion.objects.filter(contract=contract)
        .order_by("-version_number").values_list("version_number", flat=True).first()
    )
    number = (previous or 0) + 1
    key = f"contracts/{contract.pk}/v{number}.{kind.extension}"
    text = files.extract_text(data, kind)
    version = ContractVersion.objects.create(
        contract=contract, version_number=number, source=source, r2_key=key,
        content_type=kind.content_type, template_id=template_id,
        template_version=template_version, change_summary=change_summary[:500],
        file_size=len(data), file_hash=hashlib.sha256(data).hexdigest(), clauses=clauses,
        merge_values=merge_values, text=text, created_by=actor.user,
    )
    # After the row: a unique-number clash fails before any bytes are written. The key is
    # deterministic, so bytes left by a rolled-back attempt are overwritten by the next one.
    storage.put(key, data)
    now = timezone.now()
    Contract.objects.filter(pk=contract.pk).update(
        document_search=SearchVector(Value(text), config="english"), updated_at=now
    )
    contract.updated_at = now
    changes = {
        "latest_version": {"old": previous, "new": number},
        "document": {"old": None, "new": key},
    }
    audit_record(actor=actor.user, entity_type="contract", entity_id=contract.pk,
                 action="updated", changes=changes)
    if announce:
        event_emit(type="contract.updated", data={**contract_payload(contract), "changes": changes})
    return version


# --- use cases ----------------------------------------------------------------------------

@dataclass
class Generated:
    contract: Contract
    version: ContractVersion
    mandatory_clauses: list[dict]
    clause_suggestions: dict
    validation_errors: list[str]


def _published_template(template_id) -> ContractTemplate:
    template = ContractTemplate.objects.filter(pk=template_id).first()
    if template is None:
        raise NotFound()
    if template.status != TemplateStatus.PUBLISHED:
        raise InvalidInput({"template_id": [
            f"Template is {template.status}; only published templates generate contracts"
        ]})
    return template


@transaction.atomic
def contract_generate(
    *, actor: Principal, template_id, title: str, structured_inputs: dict,
    selected_clauses: list[str], user_instructions: str = "",
) -> Generated:
    """Contract + version 1 from a published template, in one transaction."""
    template = _published_template(template_id)
    refs = clause_rules.parse_refs(selected_clauses)
    fields, merge_values = _split_inputs(structured_inputs)
    fields.setdefault("value", Decimal("0"))
    fields.setdefault("currency", "USD")
    errors = check_inputs(
        rules=template.business_rules, fields=fields, merge_values=merge_values,
        required=[f for f in template.merge_fields if f not in rendering.AUTO_FIELDS],
    )
    contract = Contract(title=title, contract_type=template.contract_type, **fields)
    values = {**merge_values, **_render_fields(contract), "title": title,
              "contract_type": template.contract_type, "party": actor.tenant.name}
    plan = _plan_clauses(
        actor=actor, refs=refs, contract_type=template.contract_type, value=fields["value"],
        template=template, values=values, instructions=user_instructions, errors=errors,
    )
    contract = contract_services.contract_create(actor=actor, data={
        "title": title, "contract_type": template.contract_type, "template_id": template.pk,
        **fields,
    })
    data = _render(contract=contract, template=template, party=actor.tenant.name,
                   merge_values=merge_values, entries=plan.entries)
    version = _store_version(
        actor=actor, contract=contract, data=data, kind=files.DOCX,
        source=VersionSource.GENERATED,
        change_summary=f"Generated from template '{template.name}' v{template.version}",
        clauses=plan.entries, merge_values=merge_values, template_id=template.pk,
        template_version=template.version, announce=False,
    )
    return Generated(contract, version, plan.evaluation.mandatory, plan.suggestions,
                     plan.evaluation.warnings)


@transaction.atomic
def version_create(
    *, actor: Principal, contract_id, selected_clauses: list[str], change_summary: str,
    structured_inputs: dict | None = None, user_instructions: str = "",
) -> ContractVersion:
    """Re-renders the contract with a new clause set as version n+1."""
    contract = _locked_contract(contract_id)
    actor.require_on_contract(Perm.EDIT_CONTRACTS, contract)
    contract_rules.check_editable(contract.status)
    latest = ContractVersion.objects.filter(contract=contract).order_by("-version_number").first()
    template = None
    if contract.template_id:
        template = ContractTemplate.objects.filter(pk=contract.template_id).first()
    refs = clause_rules.parse_refs(selected_clauses)
    _, overrides = _split_inputs(structured_inputs or {}, contract_fields=False)
    merge_values = {**(latest.merge_values if latest else {}), **overrides}
    errors = {}
    if template is not None:
        errors = check_inputs(
            rules={}, fields={}, merge_values={**merge_values, **_render_fields(contract)},
            required=[f for f in template.merge_fields if f not in rendering.AUTO_FIELDS],
        )
    values = {**merge_values, **_render_fields(contract), "title": contract.title,
              "contract_type": contract.contract_type, "party": actor.tenant.name}
    plan = _plan_clauses(
        actor=actor, refs=refs, contract_type=contract.contract_type, value=contract.value,
        template=template, values=values, instructions=user_instructions,
        previous=latest.clauses if latest else [], errors=errors,
    )
    data = _render(contract=contract, template=template, party=actor.tenant.name,
                   merge_values=merge_values, entries=plan.entries)
    return _store_version(
        actor=actor, contract=contract, data=data, kind=files.DOCX,
        source=VersionSource.RENDERED, change_summary=change_summary, clauses=plan.entries,
        merge_values=merge_values, template_id=template.pk if template else None,
        template_version=template.version if template else None,
    )


def _normalised(text: str) -> str:
    return " ".join(text.split()).lower()


@transaction.atomic
def version_upload(
    *, actor: Principal, contract_id, data: bytes, change_summary: str
) -> ContractVersion:
    """Stores a document as given; its clause snapshot lists the clauses found in its text."""
    contract = _locked_contract(contract_id)
    actor.require_on_contract(Perm.EDIT_CONTRACTS, contract)
    if contract.status == ContractStatus.PENDING:
        raise Conflict("The document of a contract under review cannot change")
    kind = files.require_kind(data)
    latest = ContractVersion.objects.filter(contract=contract).order_by("-version_number").first()
    text = _normalised(files.extract_text(data, kind))
    found = []
    for entry in latest.clauses if latest else []:
        if text and _normalised(entry["content"]) in text:
            found.append({
                **entry,
                "position": len(found) + 1,
                "provenance": {
                    **entry["provenance"], "source": "upload",
                    "added_at": timezone.now().isoformat(), "added_by": str(actor.user.pk),
                },
            })
    return _store_version(
        actor=actor, contract=contract, data=data, kind=kind, source=VersionSource.UPLOAD,
        change_summary=change_summary or "Uploaded document", clauses=found,
        merge_values=latest.merge_values if latest else {},
        template_id=contract.template_id,
        template_version=latest.template_version if latest else None,
    )


def version_copy_to_clone(*, actor: Principal, source: Contract, clone: Contract) -> None:
    """Copies the source's latest document into the clone's version 1 (inside the clone's
    transaction)."""
    latest = ContractVersion.objects.filter(contract=source).order_by("-version_number").first()
    if latest is None:
        return
    data = storage.read(latest.r2_key)
    kind = files.sniff(data) or files.DOCX
    _store_version(
        actor=actor, contract=clone, data=data, kind=kind, source=VersionSource.CLONE,
        change_summary=f"Cloned from contract {source.pk} version {latest.version_number}",
        clauses=latest.clauses, merge_values=latest.merge_values,
        template_id=latest.template_id, template_version=latest.template_version,
        announce=False,
    )
