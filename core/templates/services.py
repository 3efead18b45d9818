"""Template use cases: create, update (publishing), upload of the .docx, delete."""

import hashlib
import json

from django.db import transaction

from core.audit.services import audit_record, diff
from core.clauses import rules as clause_rules
from core.clauses.selectors import clause_latest_by_id
from core.documents import files, rendering, storage
from core.errors import InvalidInput, NotFound
from core.events.services import event_emit
from core.model_update import model_update
from core.rbac.access import Principal
from core.templates import rules
from core.templates.models import ContractTemplate, TemplateStatus

ENTITY = "template"
# What a generated contract depends on; a change to any of these is a new template version.
CONTENT_FIELDS = ("contract_type", "r2_key", "merge_fields", "mandatory_clauses", "business_rules")
SNAPSHOT_FIELDS = ("name", "description", "status", "version", *CONTENT_FIELDS)


def template_payload(t: ContractTemplate) -> dict:
    return {
        "id": t.id,
        "name": t.name,
        "contract_type": t.contract_type,
        "description": t.description,
        "version": t.version,
        "status": t.status,
        "r2_key": t.r2_key,
        "merge_fields": t.merge_fields,
        "mandatory_clauses": t.mandatory_clauses,
        "business_rules": t.business_rules,
        "created_by": t.created_by_id,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }


def _snapshot(t: ContractTemplate) -> dict:
    return {f: getattr(t, f) for f in SNAPSHOT_FIELDS}


def _fingerprint(t: ContractTemplate) -> str:
    content = {f: getattr(t, f) for f in CONTENT_FIELDS}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _clean(data: dict) -> dict:
    nulls = [k for k, v in data.items() if v is None]
    if nulls:
        raise InvalidInput({k: ["This field may not be null"] for k in nulls})
    data = dict(data)
    for text in ("name", "contract_type"):
        if text in data:
            data[text] = data[text].strip()
            if not data[text]:
                raise InvalidInput({text: ["This field may not be blank"]})
    if "business_rules" in data:
        given = {k: v for k, v in data["business_rules"].items() if v is not None}
        data["business_rules"] = rules.check_business_rules(given)
    if "merge_fields" in data:
        data["merge_fields"] = rules.check_merge_fields(data["merge_fields"])
    if "mandatory_clauses" in data:
        data["mandatory_clauses"] = list(dict.fromkeys(
            clause_rules.check_clause_id(c, field_name="mandatory_clauses")
            for c in data["mandatory_clauses"]
        ))
    if "r2_key" in data:
        data["r2_key"] = rules.check_key((data["r2_key"] or "").strip())
    return data


def _check_publishable(t: ContractTemplate) -> None:
    """A published template must be able to generate: its clauses and file must exist."""
    errors: dict[str, list[str]] = {}
    known = clause_latest_by_id(clause_ids=t.mandatory_clauses)
    missing = [c for c in t.mandatory_clauses if c not in known]
    if missing:
        errors["mandatory_clauses"] = [f"Unknown clause: {c}" for c in missing]
    if t.r2_key and not storage.exists(t.r2_key):
        errors["r2_key"] = [f"No file is stored at {t.r2_key}; upload the template's .docx"]
    if errors:
        raise InvalidInput(errors)


def _publish_if_needed(t: ContractTemplate, *, was_published: bool) -> bool:
    """Bumps the version when published content changed; True if a new version went live."""
    if t.status != TemplateStatus.PUBLISHED:
        return False
    _check_publishable(t)
    fingerprint = _fingerprint(t)
    changed = fingerprint != t.published_fingerprint
    if changed:
        if t.published_fingerprint:
            t.version += 1
        t.published_fingerprint = fingerprint
        t.save(update_fields=["version", "published_fingerprint"])
    return changed or not was_published


def _after_write(actor: Principal, t: ContractTemplate, before: dict, *, action: str,
                 was_published: bool) -> None:
    went_live = _publish_if_needed(t, was_published=was_published)
    changes = diff(before, _snapshot(t))
    if changes or action != "updated":
        audit_record(actor=actor.user, entity_type=ENTITY, entity_id=t.pk, action=action,
                     changes=changes)
    if went_live:
        event_emit(type="template.published", data=template_payload(t))


@transaction.atomic
def template_create(*, actor: Principal, data: dict) -> ContractTemplate:
    data = _clean(data)
    template = ContractTemplate.objects.create(created_by=actor.user, **data)
    _after_write(actor, template, {}, action="created", was_published=False)
    return template


def _locked(template_id) -> ContractTemplate:
    template = ContractTemplate.objects.select_for_update().filter(pk=template_id).first()
    if template is None:
        raise NotFound()
    return template


@transaction.atomic
def template_update(*, actor: Principal, template_id, data: dict) -> ContractTemplate:
    template = _locked(template_id)
    before = _snapshot(template)
    data = _clean(data)
    model_update(template, data)
    _after_write(actor, template, before, action="updated",
                 was_published=before["status"] == TemplateStatus.PUBLISHED)
    return template


@transaction.atomic
def template_upload(*, actor: Principal, template_id, data: bytes) -> ContractTemplate:
    """Stores the template's .docx and reads its merge fields from the document."""
    template = _locked(template_id)
    files.require_kind(data, allowed=(files.DOCX,))
    merge_fields = [f for f in rendering.docx_fields(data) if f not in rendering.AUTO_FIELDS]
    rules.check_merge_fields(merge_fields)
    # Content-addressed, so a failed transaction never leaves the live key pointing elsewhere.
    key = f"templates/{template.pk}/{hashlib.sha256(data).hexdigest()[:16]}.docx"
    storage.put(key, data)
    before = _snapshot(template)
    model_update(template, {"r2_key": key, "merge_fields": merge_fields})
    _after_write(actor, template, before, action="updated",
                 was_published=before["status"] == TemplateStatus.PUBLISHED)
    return template


@transaction.atomic
def template_delete(*, actor: Principal, template_id) -> None:
    """Contracts keep working: versions pin the template id and version they were made from."""
    template = _locked(template_id)
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=template.pk, action="deleted")
    template.delete()
