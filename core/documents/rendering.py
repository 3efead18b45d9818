"""Renders contract documents (.docx): from a template's file with docxtpl, or a clean one.

Template files and clause texts are written by tenant users, so Jinja runs sandboxed: a merge
field may read values but never reach Python internals.
"""

import io
from dataclasses import dataclass
from datetime import date

from docx import Document
from docx.shared import Pt
from docxtpl import DocxTemplate
from jinja2 import TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from core.errors import InvalidInput

# Names every rendering fills by itself; any other name a document uses is a merge field the
# caller must supply (counterparty, value, dates... come from the generation inputs).
AUTO_FIELDS = frozenset({"title", "contract_type", "party", "clauses", "today"})


def _env(*, autoescape: bool) -> SandboxedEnvironment:
    return SandboxedEnvironment(autoescape=autoescape)


def text_fields(text: str) -> set[str]:
    """Merge fields a text (a clause) uses."""
    try:
        return set(meta.find_undeclared_variables(_env(autoescape=False).parse(text)))
    except TemplateError as exc:
        raise InvalidInput({"content": [f"Invalid merge field syntax: {exc}"]}) from exc


def render_text(text: str, values: dict) -> str:
    try:
        return _env(autoescape=False).from_string(text).render(**values)
    except TemplateError as exc:
        raise InvalidInput({"selected_clauses": [f"A clause cannot be rendered: {exc}"]}) from exc


def docx_fields(data: bytes) -> list[str]:
    """Merge fields a template .docx uses ({{ name }}, loops and conditions included)."""
    try:
        found = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables(
            jinja_env=_env(autoescape=True)
        )
    except TemplateError as exc:
        raise InvalidInput({"file": [f"Invalid merge field syntax in the document: {exc}"]}) \
            from exc
    return sorted(found)


@dataclass(frozen=True)
class RenderClause:
    number: int
    clause_id: str
    name: str
    content: str


@dataclass(frozen=True)
class RenderInput:
    title: str
    contract_type: str
    party: str
    counterparty: str
    fields: dict
    merge_values: dict
    clauses: list[RenderClause]


def _context(doc: RenderInput) -> dict:
    return {
        **doc.merge_values,
        **doc.fields,
        "title": doc.title,
        "contract_type": doc.contract_type,
        "party": doc.party,
        "counterparty": doc.counterparty,
        "clauses": [c.__dict__ for c in doc.clauses],
        "today": date.today().isoformat(),
    }


def _heading(document, text: str, level: int) -> None:
    try:
        document.add_heading(text, level=level)
    except KeyError:
        # An uploaded template may lack Word's heading styles.
        document.add_paragraph().add_run(text).bold = True


def _append_clauses(document, clauses: list[RenderClause]) -> None:
    if not clauses:
        return
    _heading(document, "Clauses", 1)
    for clause in clauses:
        _heading(document, f"{clause.number}. {clause.name}", 2)
        for paragraph in clause.content.split("\n"):
            document.add_paragraph(paragraph)


def _to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def render_from_template(template_bytes: bytes, doc: RenderInput) -> bytes:
    tpl = DocxTemplate(io.BytesIO(template_bytes))
    env = _env(autoescape=True)
    uses_clauses = "clauses" in tpl.get_undeclared_template_variables(jinja_env=env)
    try:
        tpl.render(_context(doc), jinja_env=env, autoescape=True)
    except TemplateError as exc:
        raise InvalidInput({"template_id": [f"The template cannot be rendered: {exc}"]}) from exc
    if uses_clauses:
        out = io.BytesIO()
        tpl.save(out)
        return out.getvalue()
    # The template has no place for clauses: they follow its body, numbered.
    document = tpl.docx
    _append_clauses(document, doc.clauses)
    return _to_bytes(document)


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def render_clean(doc: RenderInput) -> bytes:
    """A plain, well-structured document: title, parties, terms, numbered clauses."""
    document = Document()
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(doc.title, level=0)
    document.add_paragraph(f"Contract type: {doc.contract_type}")
    document.add_heading("Parties", level=1)
    document.add_paragraph(doc.party or "The company", style="List Bullet")
    document.add_paragraph(doc.counterparty or "The counterparty", style="List Bullet")
    terms = {k: v for k, v in {**doc.fields, **doc.merge_values}.items()
             if v not in (None, "") and k not in ("counterparty",)}
    if terms:
        document.add_heading("Terms", level=1)
        table = document.add_table(rows=0, cols=2)
        for name, value in terms.items():
            cells = table.add_row().cells
            cells[0].text = _label(name)
            cells[1].text = str(value)
    _append_clauses(document, doc.clauses)
    return _to_bytes(document)
