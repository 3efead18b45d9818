"""Generation, versions, compare, upload, download URLs (local storage), clone and search."""

import hashlib
import time

import pytest
from django.db import connection
from django.db.utils import IntegrityError
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from core.audit.models import AuditLog
from core.contracts.models import Contract
from core.documents import storage
from core.documents.models import ContractVersion
from core.events.models import Event
from tests.conftest import assert_error
from tests.documents_support import (
    INPUTS,
    PDF_BYTES,
    docx_bytes,
    docx_paragraphs,
    generate,
    make_template,
    upload,
)


def fetch(api, url: str) -> bytes:
    """GET a download URL with no credentials, as a browser following the link would."""
    response = api.client.get(url.replace("http://testserver", ""))
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content)


def download(api, world, contract_id, version=None) -> bytes:
    query = f"?version={version}" if version else ""
    r = api.get(f"/api/contracts/{contract_id}/download-url/{query}", world.token("viewer"))
    assert r.status_code == 200, r.content
    return fetch(api, r.json()["download_url"])


# --- generate -----------------------------------------------------------------------------

def test_generate_renders_a_real_docx_with_values_and_clauses(api, acme, published):
    body = generate(api, acme, published["id"], role="user",
                    user_instructions="Make termination clause stricter")
    contract, version = body["contract"], body["version"]
    assert contract["title"] == "MSA with Acme Corp" and contract["status"] == "draft"
    assert contract["value"] == 50000.0 and contract["counterparty"] == "Acme Corp"
    assert contract["template_id"] == published["id"]
    assert contract["latest_version"]["version_number"] == 1
    assert version["version_number"] == 1 and version["template_version"] == 1
    assert version["r2_key"] == f"contracts/{contract['id']}/v1.docx"
    assert [m["clause_id"] for m in body["mandatory_clauses"]] == ["CONF-001", "LIAB-001"]
    assert body["validation_errors"] == []
    # "stricter termination" proposes the strict termination alternative.
    suggested = body["clause_suggestions"]
    assert list(suggested) == ["TERM-001"]
    assert [s["clause_id"] for s in suggested["TERM-001"]] == ["TERM-002"]

    data = download(api, acme, contract["id"])
    assert len(data) == version["file_size"]
    assert hashlib.sha256(data).hexdigest() == version["file_hash"]
    text = "\n".join(docx_paragraphs(data))
    for expected in ("MSA with Acme Corp", "Acme Corp", "50,000.00", "2027-01-14",
                     "1. Termination", "Either party may terminate with 30 days notice.",
                     "Acme Corp shall keep all information confidential for three years.",
                     "3. Liability Limitation", "Liability is limited to the fees paid."):
        assert expected in text, expected
    assert "{{" not in text

    with schema_context(acme.schema):
        assert Event.objects.filter(type="contract.created", data__id=contract["id"]).exists()
        actions = set(AuditLog.objects.filter(entity_id=contract["id"])
                      .values_list("action", flat=True))
        assert actions == {"created", "updated"}


def test_generate_snapshot_has_provenance(api, acme, published):
    contract_id = generate(api, acme, published["id"])["contract"]["id"]
    r = api.get(f"/api/contracts/{contract_id}/versions/1/clauses/", acme.token("viewer"))
    assert r.status_code == 200, r.content
    clauses = r.json()["clauses"]
    assert [(c["clause_id"], c["position"], c["is_mandatory"]) for c in clauses] == [
        ("TERM-001", 1, False), ("CONF-001", 2, True), ("LIAB-001", 3, True),
    ]
    assert clauses[1]["content"].startswith("Acme Corp shall keep")
    assert clauses[0]["provenance"]["source"] == "user"
    assert clauses[1]["provenance"]["source"] == "template"
    assert clauses[1]["provenance"]["template_id"] == published["id"]
    assert clauses[1]["provenance"]["template_version"] == 1
    assert clauses[1]["provenance"]["added_by"] == str(acme.users["admin"].pk)


def test_generate_from_the_templates_own_docx(api, acme, library):
    template = make_template(api, acme, merge_fields=[])
    file = docx_bytes(
        "{{ title }}: {{ party }} and {{ counterparty }} <{{ region }}>",
        "{%p for c in clauses %}",
        "Section {{ c.number }} {{ c.name }}: {{ c.content }}",
        "{%p endfor %}",
    )
    r = upload(api, f"/api/contract-templates/{template['id']}/upload/", acme.token(), file)
    assert r.json()["merge_fields"] == ["counterparty", "region"]
    api.put(f"/api/contract-templates/{template['id']}/", acme.token(), {"status": "published"})
    missing = generate(api, acme, template["id"], expect=400)
    assert missing["details"]["structured_inputs.region"] == ["Field is required by the template"]
    inputs = {**INPUTS, "region": "EU & UK"}
    body = generate(api, acme, template["id"], structured_inputs=inputs)
    text = docx_paragraphs(download(api, acme, body["contract"]["id"]))
    assert "MSA with Acme Corp: Acme and Acme Corp <EU & UK>" in text
    assert "Section 1 Termination: Either party may terminate with 30 days notice." in text
    assert "Section 3 Liability Limitation: Liability is limited to the fees paid." in text


def test_template_code_cannot_escape_the_sandbox(api, acme, library):
    template = make_template(api, acme, merge_fields=[], mandatory_clauses=[])
    file = docx_bytes("{{ title.__class__.__mro__[1].__subclasses__() }}")
    upload(api, f"/api/contract-templates/{template['id']}/upload/", acme.token(), file)
    api.put(f"/api/contract-templates/{template['id']}/", acme.token(), {"status": "published"})
    body = generate(api, acme, template["id"], expect=400)
    assert "template_id" in body["details"]


@pytest.mark.parametrize(
    ("inputs", "field", "message"),
    [
        ({"value": 10}, "structured_inputs.value", "Value must be at least 1000"),
        ({"value": 10**7}, "structured_inputs.value", "Value must be at most 1e+06"),
        ({"currency": "GBP"}, "structured_inputs.currency", "Currency must be one of: EUR, USD"),
        ({"end_date": "2029-01-14"}, "structured_inputs.end_date",
         "The term may not exceed 24 months"),
        ({"confidentiality_period": ""}, "structured_inputs.confidentiality_period",
         "Field is required by the template"),
        ({"value": "lots"}, "structured_inputs.value", "Value must be a number >= 0"),
        ({"start_date": "15/01/2026"}, "structured_inputs.start_date",
         "Use an ISO date (YYYY-MM-DD)"),
        ({"extra": {"nested": 1}}, "structured_inputs.extra",
         "Merge values must be text, numbers or booleans"),
    ],
)
def test_generate_checks_business_rules_and_inputs(api, acme, published, inputs, field,
                                                   message):
    body = generate(api, acme, published["id"], expect=400,
                    structured_inputs={**INPUTS, **inputs})
    assert body["error"] == "Invalid input"
    assert message in body["details"][field]
    with schema_context(acme.schema):
        assert not Contract.objects.exists()


def test_generate_blocks_unknown_and_conflicting_clauses(api, acme, published):
    body = generate(api, acme, published["id"], expect=400,
                    selected_clauses=["XYZ-999", "LIAB-002"])
    assert body["details"]["selected_clauses"] == [
        "Unknown clause: XYZ-999", "Conflicting clauses: LIAB-001, LIAB-002",
    ]


def test_generate_needs_a_published_template(api, acme, library):
    draft = make_template(api, acme)
    body = generate(api, acme, draft["id"], expect=400)
    assert body["details"]["template_id"] == [
        "Template is draft; only published templates generate contracts"
    ]


def test_generate_errors(api, acme, globex, published):
    generate(api, acme, published["id"], role="viewer", expect=403)
    generate(api, globex, published["id"], expect=404)
    generate(api, acme, "00000000-0000-0000-0000-000000000000", expect=404)
    assert_error(api.post("/api/contracts/generate/", None, {}), 401)
    details = assert_error(api.post("/api/contracts/generate/", acme.token(), {}), 400)["details"]
    assert {"template_id", "title"} <= set(details)


def test_generate_with_a_drafting_provider_merges_its_suggestions(api, acme, published,
                                                                  settings):
    settings.DRAFTING_PROVIDER = "tests.api.test_documents.EchoProvider"
    body = generate(api, acme, published["id"], user_instructions="be careful")
    assert body["clause_suggestions"] == {"TERM-001": [{
        "clause_id": "TERM-003", "version": 1, "name": "Termination (lenient)",
        "tags": ["lenient"], "reason": "provider says so",
    }]}


class EchoProvider:
    """A stand-in drafting provider: proposes TERM-003 (and a clause that does not exist)."""

    def suggest(self, *, instructions, clauses, library):
        return {"TERM-001": [{"clause_id": "TERM-003", "reason": "provider says so"},
                             {"clause_id": "NOPE-404", "reason": "invented"}]}


# --- versions -----------------------------------------------------------------------------

@pytest.fixture
def generated(api, acme, published) -> dict:
    return generate(api, acme, published["id"], role="user",
                    user_instructions="stricter termination")["contract"]


def new_version(api, world, contract_id, clauses, role="user", **extra):
    return api.post(f"/api/contracts/{contract_id}/create-version/", world.token(role),
                    {"selected_clauses": clauses, "change_summary": "Stricter", **extra})


def test_create_version_rerenders_with_a_new_clause_set(api, acme, generated):
    cid = generated["id"]
    r = new_version(api, acme, cid, ["TERM-002", "CONF-001"])
    assert r.status_code == 201, r.content
    v2 = r.json()
    assert v2["version_number"] == 2 and v2["change_summary"] == "Stricter"
    assert v2["r2_key"] == f"contracts/{cid}/v2.docx" and v2["source"] == "rendered"
    text = "\n".join(docx_paragraphs(download(api, acme, cid)))
    assert "Either party may terminate immediately upon breach." in text
    assert "30 days notice" not in text
    clauses = api.get(f"/api/contracts/{cid}/versions/2/clauses/", acme.token()).json()["clauses"]
    sources = {c["clause_id"]: c["provenance"]["source"] for c in clauses}
    # TERM-002 was proposed by v1's suggestions; CONF-001 keeps its original provenance.
    assert sources == {"TERM-002": "suggestion", "CONF-001": "template", "LIAB-001": "template"}
    listed = api.get(f"/api/contracts/{cid}/versions/", acme.token("viewer")).json()
    assert [v["version_number"] for v in listed] == [2, 1]
    detail = api.get(f"/api/contracts/{cid}/", acme.token()).json()
    assert detail["latest_version"]["version_number"] == 2
    with schema_context(acme.schema):
        log = AuditLog.objects.filter(entity_id=cid, action="updated").order_by("-created_at")[0]
        assert log.changes["latest_version"] == {"old": 1, "new": 2}
        assert Event.objects.filter(type="contract.updated", data__id=cid).exists()


def test_create_version_errors(api, acme, globex, generated):
    cid = generated["id"]
    assert_error(new_version(api, acme, cid, ["TERM-001"], role="viewer"), 403)
    # A `user` may change only the contracts they created.
    other = generate(api, acme, generated["template_id"], role="manager")["contract"]["id"]
    assert_error(new_version(api, acme, other, ["TERM-001"], role="user"), 403)
    assert_error(new_version(api, globex, cid, ["TERM-001"]), 404)
    r = new_version(api, acme, cid, ["XYZ-1"])
    assert assert_error(r, 400)["details"]["selected_clauses"] == ["Unknown clause: XYZ-1"]
    r = new_version(api, acme, cid, ["TERM-001"], structured_inputs={"value": 5})
    assert "structured_inputs.value" in assert_error(r, 400)["details"]
    assert "selected_clauses" in assert_error(
        api.post(f"/api/contracts/{cid}/create-version/", acme.token(), {}), 400)["details"]
    with schema_context(acme.schema):
        Contract.objects.filter(pk=cid).update(status="pending")
    assert_error(new_version(api, acme, cid, ["TERM-001"]), 409, "Conflict")
    assert_error(api.post(f"/api/contracts/{cid}/create-version/", None, {}), 401)


def test_version_reads_and_isolation(api, acme, globex, generated):
    cid = generated["id"]
    v1 = api.get(f"/api/contracts/{cid}/versions/1/", acme.token("viewer")).json()
    assert v1["contract"] == cid and v1["version_number"] == 1
    assert_error(api.get(f"/api/contracts/{cid}/versions/2/", acme.token()), 404)
    assert_error(api.get(f"/api/contracts/{cid}/versions/2/clauses/", acme.token()), 404)
    for path in ("versions/", "versions/1/", "versions/1/clauses/", "download-url/",
                 "versions/compare/?from=1&to=1"):
        assert_error(api.get(f"/api/contracts/{cid}/{path}", globex.token()), 404)
        assert_error(api.get(f"/api/contracts/{cid}/{path}"), 401)
    no_view = __import__("tests.documents_support", fromlist=["x"]).user_with_permissions(
        acme, "view_templates")
    assert_error(api.get(f"/api/contracts/{cid}/versions/", no_view), 403)


def test_version_list_query_count_does_not_grow(api, acme, generated):
    cid = generated["id"]
    counts = []
    for n in (2, 6):
        while len(api.get(f"/api/contracts/{cid}/versions/", acme.token()).json()) < n:
            new_version(api, acme, cid, ["TERM-001"])
        with CaptureQueriesContext(connection) as ctx:
            api.get(f"/api/contracts/{cid}/versions/", acme.token())
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_versions_are_immutable_in_the_database(api, acme, generated):
    with schema_context(acme.schema), pytest.raises(IntegrityError, match="immutable"):
        ContractVersion.objects.filter(contract_id=generated["id"]).update(file_size=1)


# --- compare ------------------------------------------------------------------------------

def test_compare_lists_clause_changes_and_a_text_diff(api, acme, generated):
    cid = generated["id"]
    api.put("/api/clauses/LIAB-001/", acme.token(), {"content": "Liability is capped at 2x."})
    new_version(api, acme, cid, ["TERM-002", "CONF-001", "LIAB-001"])
    r = api.get(f"/api/contracts/{cid}/versions/compare/?from=1&to=2", acme.token("viewer"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert [c["clause_id"] for c in body["clauses"]["added"]] == ["TERM-002"]
    assert [c["clause_id"] for c in body["clauses"]["removed"]] == ["TERM-001"]
    changed = body["clauses"]["changed"]
    assert [(c["clause_id"], c["from_version"], c["to_version"]) for c in changed] == [
        ("LIAB-001", 1, 2)
    ]
    assert "+Liability is capped at 2x." in changed[0]["content_diff"]
    assert "-Either party may terminate with 30 days notice." in body["text_diff"]
    assert "+Either party may terminate immediately upon breach." in body["text_diff"]
    assert body["lines_added"] >= 2 and body["lines_removed"] >= 2


def test_compare_errors(api, acme, generated):
    cid = generated["id"]
    details = assert_error(api.get(f"/api/contracts/{cid}/versions/compare/", acme.token()),
                           400)["details"]
    assert {"from", "to"} <= set(details)
    assert_error(api.get(f"/api/contracts/{cid}/versions/compare/?from=1&to=9", acme.token()),
                 404)
    assert_error(api.get(f"/api/contracts/{cid}/versions/compare/?from=0&to=1", acme.token()),
                 400)


# --- upload -------------------------------------------------------------------------------

def upload_version(api, world, cid, data, filename="signed.docx", role="user", **fields):
    return upload(api, f"/api/contracts/{cid}/versions/upload/", world.token(role), data,
                  filename=filename, **fields)


def test_upload_a_docx_stores_it_as_given(api, acme, generated):
    cid = generated["id"]
    data = docx_bytes("Counter-signed copy", "Liability is limited to the fees paid.",
                      "Zanzibar governing law.")
    r = upload_version(api, acme, cid, data, change_summary="Signed by Acme Corp")
    assert r.status_code == 201, r.content
    v2 = r.json()
    assert v2["version_number"] == 2 and v2["source"] == "upload"
    assert v2["change_summary"] == "Signed by Acme Corp"
    assert v2["file_size"] == len(data)
    assert v2["file_hash"] == hashlib.sha256(data).hexdigest()
    assert download(api, acme, cid) == data
    clauses = api.get(f"/api/contracts/{cid}/versions/2/clauses/", acme.token()).json()["clauses"]
    # The snapshot keeps the clauses whose text is in the uploaded document.
    assert [(c["clause_id"], c["provenance"]["source"]) for c in clauses] == [
        ("LIAB-001", "upload")
    ]
    # The contract is now found by the words of its latest document.
    found = api.get("/api/contracts/?search=zanzibar", acme.token()).json()["results"]
    assert [c["id"] for c in found] == [cid]


def test_upload_judges_the_type_by_content_not_name(api, acme, generated):
    cid = generated["id"]
    r = upload_version(api, acme, cid, PDF_BYTES, filename="scan.docx")
    assert r.status_code == 201, r.content
    assert r.json()["r2_key"].endswith("/v2.pdf")
    assert r.json()["content_type"] == "application/pdf"
    r = upload_version(api, acme, cid, docx_bytes("hello"), filename="contract.pdf")
    assert r.json()["r2_key"].endswith("/v3.docx")
    r = upload_version(api, acme, cid, b"MZ\x90\x00 an executable", filename="contract.pdf")
    assert assert_error(r, 400)["details"]["file"] == [
        "The file is not a valid .docx or .pdf document"
    ]
    fake_zip = b"PK\x03\x04" + b"\x00" * 100
    assert "file" in assert_error(upload_version(api, acme, cid, fake_zip), 400)["details"]


def test_upload_errors(api, acme, globex, generated, settings):
    cid = generated["id"]
    data = docx_bytes("text")
    assert_error(upload_version(api, acme, cid, data, role="viewer"), 403)
    assert_error(upload_version(api, globex, cid, data), 404)
    assert_error(upload(api, f"/api/contracts/{cid}/versions/upload/", None, data), 401)
    r = api.post(f"/api/contracts/{cid}/versions/upload/", acme.token(), {"x": 1})
    assert "file" in assert_error(r, 400)["details"]
    assert "file" in assert_error(upload_version(api, acme, cid, b""), 400)["details"]
    settings.DOCUMENT_MAX_UPLOAD_BYTES = len(data) - 1
    body = assert_error(upload_version(api, acme, cid, data), 413, "Payload too large")
    assert "detail" in body
    # Far over the cap: refused on the declared length, before the body is parsed.
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 10
    assert_error(upload_version(api, acme, cid, b"%PDF-" + b"0" * 200_000), 413)
    with schema_context(acme.schema):
        Contract.objects.filter(pk=cid).update(status="pending")
    settings.DOCUMENT_MAX_UPLOAD_BYTES = 10**7
    assert_error(upload_version(api, acme, cid, data), 409)


def test_upload_with_oversized_form_fields_is_413(api, acme, generated, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = upload_version(api, acme, generated["id"], docx_bytes("x"), change_summary="y" * 5000)
    assert_error(r, 413, "Payload too large")


# --- download URLs (local storage) --------------------------------------------------------

def test_download_url_body_and_signed_link(api, acme, generated):
    cid = generated["id"]
    new_version(api, acme, cid, ["TERM-002"])
    r = api.get(f"/api/contracts/{cid}/download-url/", acme.token("viewer"))
    body = r.json()
    assert set(body) == {"contract_id", "version_number", "r2_key", "download_url", "expires_at"}
    assert body["contract_id"] == cid and body["version_number"] == 2
    assert body["r2_key"] == f"contracts/{cid}/v2.docx"
    assert body["download_url"].startswith("http://testserver/api/files/")
    response = api.client.get(body["download_url"].replace("http://testserver", ""))
    assert response["Content-Disposition"].startswith('attachment; filename="msa-with-acme-corp')
    older = api.get(f"/api/contracts/{cid}/download-url/?version=1", acme.token()).json()
    assert older["version_number"] == 1
    with schema_context(acme.schema):
        stored = storage.read(older["r2_key"])
    assert fetch(api, older["download_url"]) == stored
    assert_error(api.get(f"/api/contracts/{cid}/download-url/?version=7", acme.token()), 404)


def test_forged_or_expired_links_are_refused(api, acme, generated, settings):
    url = api.get(f"/api/contracts/{generated['id']}/download-url/",
                  acme.token()).json()["download_url"].replace("http://testserver", "")
    token = url.rstrip("/").rsplit("/", 1)[1]
    forged = url.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    assert_error(api.client.get(forged), 403, "Permission denied")
    settings.DOCUMENT_URL_TTL_SECONDS = 0
    time.sleep(1.1)
    body = assert_error(api.client.get(url), 403)
    assert body["detail"] == "This download link has expired"


def test_download_url_without_a_document_is_404(api, acme):
    cid = api.post("/api/contracts/", acme.token(), {"title": "Bare", "contract_type": "NDA"})
    r = api.get(f"/api/contracts/{cid.json()['id']}/download-url/", acme.token())
    assert assert_error(r, 404)["detail"] == "This contract has no document yet"


def test_keys_are_prefixed_with_the_tenant_schema(api, acme, generated, local_documents):
    key = f"contracts/{generated['id']}/v1.docx"
    assert (local_documents / acme.schema / key).is_file()


# --- clone, detail, search ----------------------------------------------------------------

def test_clone_copies_the_latest_document_into_version_1(api, acme, generated):
    cid = generated["id"]
    new_version(api, acme, cid, ["TERM-002"])
    r = api.post(f"/api/contracts/{cid}/clone/", acme.token(), {"title": "Clone"})
    assert r.status_code == 201, r.content
    clone_id = r.json()["id"]
    detail = api.get(f"/api/contracts/{clone_id}/", acme.token()).json()
    latest = detail["latest_version"]
    assert latest["version_number"] == 1
    assert latest["r2_key"] == f"contracts/{clone_id}/v1.docx"
    assert download(api, acme, clone_id) == download(api, acme, cid, version=2)
    versions = api.get(f"/api/contracts/{clone_id}/versions/", acme.token()).json()
    assert len(versions) == 1 and versions[0]["source"] == "clone"
    clauses = api.get(f"/api/contracts/{clone_id}/versions/1/clauses/",
                      acme.token()).json()["clauses"]
    assert [c["clause_id"] for c in clauses] == ["TERM-002", "CONF-001", "LIAB-001"]


def test_clone_without_a_document_has_no_version(api, acme):
    cid = api.post("/api/contracts/", acme.token(), {"title": "Bare", "contract_type": "NDA"})
    clone = api.post(f"/api/contracts/{cid.json()['id']}/clone/", acme.token(), {}).json()
    assert api.get(f"/api/contracts/{clone['id']}/", acme.token()).json()["latest_version"] is None


def test_detail_latest_version_costs_one_query(api, acme, generated):
    cid = generated["id"]
    counts = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            body = api.get(f"/api/contracts/{cid}/", acme.token()).json()
        counts.append(len(ctx))
        new_version(api, acme, cid, ["TERM-001"])
    assert body["latest_version"]["version_number"] == 2
    assert counts[0] == counts[1]


def test_search_matches_the_text_of_the_latest_document_only(api, acme, generated):
    token = acme.token()
    # "breach" is only in the strict termination clause; "notice" only in TERM-001.
    assert api.get("/api/contracts/?search=notice", token).json()["count"] == 1
    assert api.get("/api/contracts/?search=breach", token).json()["count"] == 0
    new_version(api, acme, generated["id"], ["TERM-002"])
    assert api.get("/api/contracts/?search=breach", token).json()["count"] == 1
    assert api.get("/api/contracts/?search=notice", token).json()["count"] == 0
    # Word forms match ("terminates" ~ "terminate").
    assert api.get("/api/contracts/?search=terminates", token).json()["count"] == 1


def test_document_search_uses_the_full_text_index(acme):
    """The document branch of the search is answered by its GIN index, not row by row."""
    from django.contrib.postgres.search import SearchQuery

    from core.contracts.models import LIVE

    with schema_context(acme.schema):
        Contract.objects.bulk_create(
            Contract(title=f"Contract {i}", contract_type="MSA") for i in range(2000)
        )
        with connection.cursor() as cursor:
            cursor.execute("""
                UPDATE contracts_contract SET document_search = to_tsvector('english', (
                    SELECT string_agg('w' || (floor(random() * 3000))::int, ' ')
                    FROM generate_series(1, 60) WHERE id IS NOT NULL))
            """)
            # As autovacuum would: move fresh entries from the GIN pending list into the index.
            cursor.execute("SELECT gin_clean_pending_list('contract_document_fts'::regclass)")
            cursor.execute("ANALYZE contracts_contract")
            # Small tables are cheapest to scan; the question is whether the index can answer.
            cursor.execute("SET LOCAL enable_seqscan = off")
            query = Contract.objects.filter(
                LIVE, document_search=SearchQuery("breach", config="english", search_type="plain")
            )
            sql, params = query.query.sql_with_params()
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on contract_document_fts" in plan, plan
