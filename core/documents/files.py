"""What a file is, judged by its bytes (never its name), and the text inside it."""

import io
import zipfile
from dataclasses import dataclass

from docx import Document

from core.errors import InvalidInput

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF_TYPE = "application/pdf"
# A .docx is a zip; refuse archives that would inflate past this (zip bombs).
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
# Enough for search over any real contract, and far below tsvector's 1 MB limit.
MAX_TEXT_CHARS = 200_000


@dataclass(frozen=True)
class Kind:
    extension: str
    content_type: str


DOCX = Kind("docx", DOCX_TYPE)
PDF = Kind("pdf", PDF_TYPE)


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            inflated = sum(info.file_size for info in infos)
    except (zipfile.BadZipFile, ValueError):
        return False
    if inflated > MAX_UNZIPPED_BYTES:
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def sniff(data: bytes) -> Kind | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return DOCX
    return None


def require_kind(data: bytes, *, allowed=(DOCX, PDF), field: str = "file") -> Kind:
    kind = sniff(data)
    if kind not in allowed:
        names = " or ".join(f".{k.extension}" for k in allowed)
        raise InvalidInput({field: [f"The file is not a valid {names} document"]})
    if kind is DOCX:
        try:
            Document(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - python-docx raises many types on bad input
            raise InvalidInput({field: ["The .docx file cannot be read"]}) from exc
    return kind


def docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(lines)


def extract_text(data: bytes, kind: Kind) -> str:
    """Plain text for search and diffs; PDFs have none (no PDF text extractor is installed)."""
    if kind is DOCX:
        return docx_text(data)[:MAX_TEXT_CHARS]
    return ""
