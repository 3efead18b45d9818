"""Contract versions as clients see them, shared by the documents and contracts APIs."""


def version_summary(v) -> dict:
    """The `latest_version` of a contract's detail."""
    return {
        "id": v.id,
        "version_number": v.version_number,
        "change_summary": v.change_summary,
        "r2_key": v.r2_key,
        "file_size": v.file_size,
        "file_hash": v.file_hash,
        "created_by": v.created_by_id,
        "created_at": v.created_at,
    }


def version_payload(v) -> dict:
    return {
        **version_summary(v),
        "contract": v.contract_id,
        "template_id": v.template_id,
        "template_version": v.template_version,
        "content_type": v.content_type,
        "source": v.source,
    }
