"""Reads one multipart file from a request, refusing oversized bodies before parsing them."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig

from core.errors import InvalidInput, PayloadTooLarge

# Room for the multipart boundaries and small form fields around the file itself.
MULTIPART_OVERHEAD = 64 * 1024

MULTIPART_OPENAPI = {
    "requestBody": {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "change_summary": {"type": "string", "maxLength": 500},
                    },
                }
            }
        },
        "required": True,
    }
}


def _too_large(cap: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"Files may be at most {cap} bytes")


def read_upload(request, field: str = "file") -> tuple[bytes, dict]:
    """(file bytes, other form fields); 413 above DOCUMENT_MAX_UPLOAD_BYTES, 400 if absent."""
    cap = settings.DOCUMENT_MAX_UPLOAD_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # Refuse on the declared length, before Django reads (and spools) the body.
    if declared > cap + MULTIPART_OVERHEAD:
        raise _too_large(cap)
    if not request.content_type.startswith("multipart/form-data"):
        raise InvalidInput({field: ["Send the file as multipart/form-data"]})
    try:
        upload = request.FILES.get(field)
        form = {k: request.POST.get(k) for k in request.POST}
    except RequestDataTooBig as exc:
        # Form fields beside the file beyond DATA_UPLOAD_MAX_MEMORY_SIZE.
        raise _too_large(cap) from exc
    if upload is None:
        raise InvalidInput({field: ["Field is required"]})
    if upload.size > cap:
        raise _too_large(cap)
    if upload.size == 0:
        raise InvalidInput({field: ["The file is empty"]})
    return upload.read(), form
