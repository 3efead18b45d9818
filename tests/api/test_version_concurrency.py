"""Version numbers stay unique and gap-free when many clients add versions at once."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from core.documents.models import ContractVersion
from tests.documents_support import docx_bytes

WRITERS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_consecutive_numbers(scratch_world, local_documents):
    world = scratch_world
    token = world.token("admin")
    created = Client().post(
        "/api/contracts/", {"title": "Raced", "contract_type": "MSA"},
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert created.status_code == 201, created.content
    contract_id = created.json()["id"]
    start = threading.Barrier(WRITERS)
    statuses: list[int] = []

    def writer(n: int) -> None:
        # Each thread has its own database connection: real concurrent transactions.
        try:
            from django.core.files.uploadedfile import SimpleUploadedFile

            start.wait()
            response = Client().post(
                f"/api/contracts/{contract_id}/versions/upload/",
                {"file": SimpleUploadedFile("v.docx", docx_bytes(f"writer {n}")),
                 "change_summary": f"writer {n}"},
                HTTP_AUTHORIZATION=f"Bearer {token}",
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [201] * WRITERS
    with schema_context(world.schema):
        numbers = sorted(
            ContractVersion.objects.filter(contract_id=contract_id)
            .values_list("version_number", flat=True)
        )
        summaries = set(ContractVersion.objects.filter(contract_id=contract_id)
                        .values_list("change_summary", flat=True))
    assert numbers == list(range(1, WRITERS + 1))
    assert summaries == {f"writer {n}" for n in range(WRITERS)}
    # Every stored file is the one its row describes (no two writers shared a key).
    for n in numbers:
        assert (local_documents / world.schema / "contracts" / contract_id / f"v{n}.docx").is_file()
