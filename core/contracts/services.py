"""Contract use cases; each owns its transaction and writes its audit row inside it."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from core.audit.services import audit_record, jsonable
from core.contracts import rules
from core.contracts.models import LIVE, Contract, ContractStatus
from core.contracts.payloads import contract_payload
from core.documents import services as document_services
from core.errors import InvalidInput, NotFound
from core.events.services import event_emit
from core.model_update import model_update
from core.rbac.access import Principal
from core.rbac.permissions import Perm
from core.workflows import services as workflow_services

ENTITY = "contract"


def _locked(contract_id) -> Contract:
    contract = Contract.objects.select_for_update().filter(LIVE, pk=contract_id).first()
    if contract is None:
        raise NotFound()
    return contract


def _snapshot(contract: Contract) -> dict:
    fields = (*rules.BUSINESS_FIELDS, "status")
    return {field: jsonable(getattr(contract, field)) for field in fields}


@transaction.atomic
def contract_create(*, actor: Principal, data: dict) -> Contract:
    status = data.pop("status", None) or ContractStatus.DRAFT
    if status != ContractStatus.DRAFT:
        raise InvalidInput({"status": ["New contracts start as 'draft'"]})
    data.setdefault("value", Decimal("0"))
    rules.check_fields(
        value=data["value"], start_date=data.get("start_date"), end_date=data.get("end_date")
    )
    contract = Contract.objects.create(created_by=actor.user, status=status, **data)
    audit_record(
        actor=actor.user,
        entity_type=ENTITY,
        entity_id=contract.pk,
        action="created",
        changes={k: {"old": None, "new": v} for k, v in _snapshot(contract).items()},
    )
    event_emit(type="contract.created", data=contract_payload(contract))
    return contract


@transaction.atomic
def contract_update(*, actor: Principal, contract_id, data: dict) -> Contract:
    contract = _locked(contract_id)
    actor.require_on_contract(Perm.EDIT_CONTRACTS, contract)
    requested_status = data.pop("status", None)
    nulls = [k for k, v in data.items() if v is None and k not in ("start_date", "end_date")]
    if nulls:
        raise InvalidInput({k: ["This field may not be null"] for k in nulls})
    fields = {k: v for k, v in data.items() if getattr(contract, k) != v}
    if fields:
        rules.check_editable(contract.status)
        merged = {
            k: fields.get(k, getattr(contract, k)) for k in ("value", "start_date", "end_date")
        }
        rules.check_fields(**merged)
    if requested_status:
        rules.check_transition(contract.status, requested_status)
        if requested_status != contract.status:
            fields["status"] = requested_status
            if requested_status == ContractStatus.EXECUTED:
                fields["executed_at"] = timezone.now()
    previous_status = contract.status
    changes = model_update(contract, fields)
    if changes:
        audit_record(
            actor=actor.user, entity_type=ENTITY, entity_id=contract.pk, action="updated",
            changes=changes,
        )
        event_emit(type="contract.updated",
                   data={**contract_payload(contract), "changes": changes})
    if "status" in changes:
        # Submitting starts the matching workflow; withdrawing cancels it.
        workflow_services.contract_status_changed(
            actor=actor, contract=contract, previous=previous_status
        )
    return contract


@transaction.atomic
def contract_delete(*, actor: Principal, contract_id) -> None:
    contract = _locked(contract_id)
    actor.require_on_contract(Perm.DELETE_CONTRACTS, contract)
    rules.check_deletable(contract.status)
    contract.deleted_at = timezone.now()
    contract.save(update_fields=["deleted_at"])
    audit_record(actor=actor.user, entity_type=ENTITY, entity_id=contract.pk, action="deleted")
    event_emit(type="contract.deleted", data={"id": contract.pk})


@transaction.atomic
def contract_clone(*, actor: Principal, contract_id, title: str | None) -> Contract:
    source = _locked(contract_id)
    clone = Contract.objects.create(
        title=title or f"Copy of {source.title}"[:255],
        contract_type=source.contract_type,
        value=source.value,
        currency=source.currency,
        counterparty=source.counterparty,
        start_date=source.start_date,
        end_date=source.end_date,
        template_id=source.template_id,
        created_by=actor.user,
    )
    audit_record(
        actor=actor.user, entity_type=ENTITY, entity_id=clone.pk, action="created",
        changes={"cloned_from": {"old": None, "new": str(source.pk)}},
    )
    document_services.version_copy_to_clone(actor=actor, source=source, clone=clone)
    event_emit(type="contract.created", data=contract_payload(clone))
    return clone
