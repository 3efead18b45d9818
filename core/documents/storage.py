"""Object storage for documents: tenant-prefixed keys, and download URLs that expire.

Keys given to and shown by the API are relative (`contracts/<id>/v1.docx`); in the bucket they
live under the tenant's schema name, so tenants never share a key space. The backend is the
"documents" entry of settings.STORAGES: S3-compatible (R2, S3, MinIO) or the local file system.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.errors import NotFound, PermissionDenied

SIGNING_SALT = "clm.documents.download"


def _backend():
    return storages["documents"]


def is_object_store() -> bool:
    from storages.backends.s3 import S3Storage

    return isinstance(_backend(), S3Storage)


def _full(key: str) -> str:
    if not key or key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"Unsafe storage key: {key!r}")
    return f"{connection.schema_name}/{key}"


def put(key: str, data: bytes) -> None:
    """Writes (or overwrites) the bytes at key; overwriting keeps retried writes idempotent."""
    full = _full(key)
    saved = _backend().save(full, ContentFile(data))
    if saved != full:
        raise RuntimeError(f"Storage saved {full!r} as {saved!r}; overwriting must be allowed")


def read(key: str) -> bytes:
    try:
        with _backend().open(_full(key), "rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise NotFound("The stored document is missing") from exc


def exists(key: str) -> bool:
    return _backend().exists(_full(key))


def delete(key: str) -> None:
    _backend().delete(_full(key))


def download_url(key: str, *, filename: str) -> tuple[str, datetime]:
    """A URL that fetches the document without credentials until it expires.

    Object store: a presigned GET. Local files: a path served by this app, carrying a token
    signed with SECRET_KEY; callers make it absolute.
    """
    ttl = settings.DOCUMENT_URL_TTL_SECONDS
    expires_at = timezone.now() + timedelta(seconds=ttl)
    full = _full(key)
    disposition = f'attachment; filename="{filename}"'
    if is_object_store():
        url = _backend().url(
            full, parameters={"ResponseContentDisposition": disposition}, expire=ttl
        )
        return url, expires_at
    token = signing.dumps({"k": full, "f": filename}, salt=SIGNING_SALT, compress=True)
    return reverse("api:document_file", kwargs={"token": token}), expires_at


def open_signed(token: str):
    """(file, filename) for a token from download_url; forged or expired -> PermissionDenied."""
    try:
        payload = signing.loads(
            token, salt=SIGNING_SALT, max_age=settings.DOCUMENT_URL_TTL_SECONDS
        )
    except signing.SignatureExpired as exc:
        raise PermissionDenied("This download link has expired") from exc
    except signing.BadSignature as exc:
        raise PermissionDenied("This download link is not valid") from exc
    try:
        return _backend().open(payload["k"], "rb"), payload["f"]
    except FileNotFoundError as exc:
        raise NotFound() from exc
