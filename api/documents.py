"""Contract documents API: generate, validate clauses, versions, compare, download URLs.

Mounted under /contracts/ beside the contracts router; every path here has a literal segment
(generate/, versions/, download-url/...) that `/contracts/{uuid}/` never matches. `files_router`
serves locally stored documents to holders of a signed link, without a token.
"""

from uuid import UUID

from django.http import FileResponse
from ninja import Query, Router, Status

from api.contracts import contract_detail_out
from api.schemas.clauses import ErrorOut, ValidateClausesIn, ValidateClausesOut
from api.schemas.documents import (
    CompareFilter,
    CompareOut,
    CreateVersionIn,
    DownloadUrlOut,
    GenerateIn,
    GenerateOut,
    VersionClausesOut,
    VersionOut,
)
from api.security import require
from api.uploads import MULTIPART_OPENAPI, read_upload
from core.clauses import rules as clause_rules
from core.clauses.selectors import clause_set_evaluate
from core.contracts.selectors import contract_get
from core.documents import selectors, services, storage
from core.documents.payloads import version_payload
from core.rbac.permissions import Perm
from core.templates.selectors import template_get

router = Router(tags=["Contract documents"])
files_router = Router(tags=["Contract documents"])


@router.post("/generate/", response={201: GenerateOut, 404: ErrorOut},
             auth=require(Perm.CREATE_CONTRACTS))
def generate_contract(request, data: GenerateIn):
    result = services.contract_generate(
        actor=request.auth, template_id=data.template_id, title=data.title,
        structured_inputs=data.structured_inputs, selected_clauses=data.selected_clauses,
        user_instructions=data.user_instructions,
    )
    return Status(201, {
        "contract": contract_detail_out(result.contract),
        "version": version_payload(result.version),
        "mandatory_clauses": result.mandatory_clauses,
        "clause_suggestions": result.clause_suggestions,
        "validation_errors": result.validation_errors,
    })


@router.post("/validate-clauses/", response={200: ValidateClausesOut, 404: ErrorOut},
             auth=require(Perm.VIEW_TEMPLATES))
def validate_clauses(request, data: ValidateClausesIn):
    template = template_get(template_id=data.template_id) if data.template_id else None
    result = clause_set_evaluate(
        refs=clause_rules.parse_refs(data.selected_clauses),
        contract_type=data.contract_type, value=data.contract_value,
        template_mandatory=template.mandatory_clauses if template else [],
        template_name=template.name if template else None,
    )
    return {
        "is_valid": result.is_valid,
        "errors": result.errors,
        "warnings": result.warnings,
        "mandatory_clauses": result.mandatory,
    }


@router.get("/{uuid:contract_id}/versions/", response=list[VersionOut],
            auth=require(Perm.VIEW_CONTRACTS))
def list_versions(request, contract_id: UUID):
    contract = contract_get(contract_id=contract_id)
    return [version_payload(v) for v in selectors.version_list(contract=contract)]


@router.get("/{uuid:contract_id}/versions/compare/", response=CompareOut,
            auth=require(Perm.VIEW_CONTRACTS))
def compare_versions(request, contract_id: UUID, query: Query[CompareFilter]):
    contract = contract_get(contract_id=contract_id)
    return selectors.version_compare(
        contract=contract, from_number=query.from_version, to_number=query.to_version
    )


@router.post("/{uuid:contract_id}/versions/upload/", response={201: VersionOut},
             auth=require(Perm.EDIT_CONTRACTS), openapi_extra=MULTIPART_OPENAPI)
def upload_version(request, contract_id: UUID):
    """Multipart `file` (.docx or .pdf, judged by content) and optional `change_summary`."""
    contract = contract_get(contract_id=contract_id)
    data, form = read_upload(request)
    version = services.version_upload(
        actor=request.auth, contract_id=contract.pk, data=data,
        change_summary=(form.get("change_summary") or "")[:500],
    )
    return Status(201, version_payload(version))


@router.get("/{uuid:contract_id}/versions/{int:version_number}/", response=VersionOut,
            auth=require(Perm.VIEW_CONTRACTS))
def get_version(request, contract_id: UUID, version_number: int):
    contract = contract_get(contract_id=contract_id)
    return version_payload(selectors.version_get(contract=contract,
                                                 version_number=version_number))


@router.get("/{uuid:contract_id}/versions/{int:version_number}/clauses/",
            response=VersionClausesOut, auth=require(Perm.VIEW_CONTRACTS))
def version_clauses(request, contract_id: UUID, version_number: int):
    contract = contract_get(contract_id=contract_id)
    version = selectors.version_get(contract=contract, version_number=version_number)
    return {"contract_id": contract.pk, "version_number": version.version_number,
            "clauses": version.clauses}


@router.post("/{uuid:contract_id}/create-version/", response={201: VersionOut},
             auth=require(Perm.EDIT_CONTRACTS))
def create_version(request, contract_id: UUID, data: CreateVersionIn):
    contract = contract_get(contract_id=contract_id)
    version = services.version_create(
        actor=request.auth, contract_id=contract.pk, selected_clauses=data.selected_clauses,
        change_summary=data.change_summary, structured_inputs=data.structured_inputs,
        user_instructions=data.user_instructions,
    )
    return Status(201, version_payload(version))


@router.get("/{uuid:contract_id}/download-url/", response=DownloadUrlOut,
            auth=require(Perm.VIEW_CONTRACTS))
def download_url(request, contract_id: UUID, version: int | None = Query(None, ge=1)):
    contract = contract_get(contract_id=contract_id)
    body = selectors.version_download(contract=contract, version_number=version)
    if body["download_url"].startswith("/"):
        body["download_url"] = request.build_absolute_uri(body["download_url"])
    return body


@files_router.get("/{token}/", url_name="document_file", auth=None,
                  response={200: None, 403: ErrorOut, 404: ErrorOut})
def download_file(request, token: str):
    """A document behind a signed, expiring link from download-url (local storage only)."""
    handle, filename = storage.open_signed(token)
    return FileResponse(handle, as_attachment=True, filename=filename)
