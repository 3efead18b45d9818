"""Reads of contract versions: lists, one version, comparisons and download URLs."""

import difflib

from django.utils.text import slugify

from core.documents import storage
from core.documents.models import ContractVersion
from core.errors import NotFound

# Columns a version list never shows; they can be large.
HEAVY = ("text", "clauses", "merge_values")
MAX_DIFF_LINES = 5000


def version_list(*, contract):
    return ContractVersion.objects.filter(contract=contract).defer(*HEAVY).order_by(
        "-version_number"
    )


def version_get(*, contract, version_number: int) -> ContractVersion:
    version = ContractVersion.objects.filter(
        contract=contract, version_number=version_number
    ).first()
    if version is None:
        raise NotFound()
    return version


def version_latest(*, contract_id) -> ContractVersion | None:
    return (
        ContractVersion.objects.filter(contract_id=contract_id)
        .defer(*HEAVY)
        .order_by("-version_number")
        .first()
    )


def _clause_brief(entry: dict) -> dict:
    return {
        "clause_id": entry["clause_id"],
        "clause_version": entry["clause_version"],
        "name": entry["name"],
        "position": entry["position"],
    }


def version_compare(*, contract, from_number: int, to_number: int) -> dict:
    old = version_get(contract=contract, version_number=from_number)
    new = version_get(contract=contract, version_number=to_number)
    before = {c["clause_id"]: c for c in old.clauses}
    after = {c["clause_id"]: c for c in new.clauses}
    changed = []
    for clause_id, entry in after.items():
        previous = before.get(clause_id)
        if previous is None:
            continue
        if (previous["clause_version"], previous["content"]) != (
            entry["clause_version"], entry["content"]
        ):
            changed.append({
                "clause_id": clause_id,
                "name": entry["name"],
                "from_version": previous["clause_version"],
                "to_version": entry["clause_version"],
                "content_diff": list(difflib.unified_diff(
                    previous["content"].splitlines(), entry["content"].splitlines(),
                    lineterm="", n=1,
                )),
            })
    text_diff = list(difflib.unified_diff(
        old.text.splitlines(), new.text.splitlines(),
        fromfile=f"v{from_number}", tofile=f"v{to_number}", lineterm="",
    ))
    body = [line for line in text_diff if not line.startswith(("---", "+++"))]
    return {
        "contract_id": contract.pk,
        "from_version": from_number,
        "to_version": to_number,
        "clauses": {
            "added": [_clause_brief(c) for cid, c in after.items() if cid not in before],
            "removed": [_clause_brief(c) for cid, c in before.items() if cid not in after],
            "changed": changed,
        },
        "text_diff": text_diff[:MAX_DIFF_LINES],
        "text_diff_truncated": len(text_diff) > MAX_DIFF_LINES,
        "lines_added": sum(1 for line in body if line.startswith("+")),
        "lines_removed": sum(1 for line in body if line.startswith("-")),
    }


def version_download(*, contract, version_number: int | None = None) -> dict:
    if version_number is None:
        version = version_latest(contract_id=contract.pk)
        if version is None:
            raise NotFound("This contract has no document yet")
    else:
        version = version_get(contract=contract, version_number=version_number)
    extension = version.r2_key.rsplit(".", 1)[-1]
    filename = f"{slugify(contract.title)[:80] or 'contract'}-v{version.version_number}.{extension}"
    url, expires_at = storage.download_url(version.r2_key, filename=filename)
    return {
        "contract_id": contract.pk,
        "version_number": version.version_number,
        "r2_key": version.r2_key,
        "download_url": url,
        "expires_at": expires_at,
    }
