"""Documents on an S3 API (moto_server on loopback): tenant-prefixed keys, presigned GETs."""

import hashlib
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config

from tests.documents_support import docx_bytes, docx_paragraphs, generate, make_template, upload

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3 API server (moto_server) on a free loopback port for the whole run."""
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(endpoint, timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.1)
    yield endpoint
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint, settings):
    """settings as STORAGE_BACKEND=s3 would make them, against a fresh bucket."""
    bucket = f"clm-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name=REGION,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}), **CREDENTIALS,
    )
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket, "endpoint_url": s3_endpoint, "region_name": REGION,
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "addressing_style": "path", "signature_version": "s3v4", "default_acl": None,
                "querystring_auth": True, "file_overwrite": True,
            },
        },
    }
    client.bucket = bucket
    return client


def keys(client) -> set[str]:
    listed = client.list_objects_v2(Bucket=client.bucket).get("Contents", [])
    return {item["Key"] for item in listed}


def test_generated_documents_live_under_the_tenant_prefix(api, acme, library, s3):
    template = make_template(api, acme, status="published")
    body = generate(api, acme, template["id"])
    contract_id = body["contract"]["id"]
    # The API shows the key without the prefix; the bucket holds it under the schema name.
    assert body["version"]["r2_key"] == f"contracts/{contract_id}/v1.docx"
    assert keys(s3) == {f"{acme.schema}/contracts/{contract_id}/v1.docx"}
    stored = s3.get_object(Bucket=s3.bucket, Key=f"{acme.schema}/contracts/{contract_id}/v1.docx")
    data = stored["Body"].read()
    assert hashlib.sha256(data).hexdigest() == body["version"]["file_hash"]


def test_download_url_is_a_presigned_get_that_works_over_http(api, acme, library, s3,
                                                              s3_endpoint):
    template = make_template(api, acme, status="published")
    version = generate(api, acme, template["id"])["version"]
    r = api.get(f"/api/contracts/{version['contract']}/download-url/", acme.token("viewer"))
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["r2_key"] == version["r2_key"] and body["expires_at"]
    url = body["download_url"]
    assert url.startswith(f"{s3_endpoint}/{s3.bucket}/{acme.schema}/contracts/")
    query = parse_qs(urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["300"]
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == version["file_hash"]
    assert "attachment" in response.headers["Content-Disposition"]
    assert "MSA with Acme Corp" in docx_paragraphs(response.content)


def test_template_file_upload_and_rendering_on_s3(api, acme, library, s3):
    template = make_template(api, acme, merge_fields=[])
    file = docx_bytes("Agreement with {{ counterparty }} for {{ confidentiality_period }}")
    r = upload(api, f"/api/contract-templates/{template['id']}/upload/", acme.token(), file)
    assert r.status_code == 200, r.content
    assert f"{acme.schema}/{r.json()['r2_key']}" in keys(s3)
    published = api.put(f"/api/contract-templates/{template['id']}/", acme.token(),
                        {"status": "published"})
    assert published.status_code == 200, published.content
    version = generate(api, acme, template["id"])["version"]
    url = api.get(f"/api/contracts/{version['contract']}/download-url/",
                  acme.token()).json()["download_url"]
    text = docx_paragraphs(requests.get(url, timeout=10).content)
    assert "Agreement with Acme Corp for three years" in text


def test_clone_copies_the_document_within_the_bucket(api, acme, library, s3):
    template = make_template(api, acme, status="published")
    source = generate(api, acme, template["id"])["version"]
    clone = api.post(f"/api/contracts/{source['contract']}/clone/", acme.token(), {}).json()
    assert f"{acme.schema}/contracts/{clone['id']}/v1.docx" in keys(s3)
    detail = api.get(f"/api/contracts/{clone['id']}/", acme.token()).json()
    assert detail["latest_version"]["file_hash"] == source["file_hash"]


def test_tenants_do_not_share_keys(api, acme, globex, s3):
    for world in (acme, globex):
        api.post("/api/clauses/", world.token(), {
            "clause_id": "CONF-001", "name": "C", "category": "c", "content": "Secret."})
        template = make_template(api, world, mandatory_clauses=[], merge_fields=[],
                                 business_rules={}, status="published")
        generate(api, world, template["id"], selected_clauses=["CONF-001"],
                 structured_inputs={"value": 10})
    prefixes = {key.split("/", 1)[0] for key in keys(s3)}
    assert prefixes == {acme.schema, globex.schema}
