"""The contract tally behind statistics stays equal to a scan of the contracts, whatever writes.

Every case below changes contracts through a different path (ORM saves, bulk updates, soft and
hard deletes, raw SQL under another search_path, TRUNCATE) and compares the tally with a GROUP
BY over the live rows computed here, independently of the triggers.
"""

import random
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django_tenants.utils import schema_context

from core.contracts.models import LIVE, Contract, ContractTally
from core.contracts.selectors import contract_statistics

STATUSES = ["draft", "pending", "approved", "rejected", "executed"]


def _month(value) -> str:
    return value.strftime("%Y-%m") if value else ""


def scanned() -> dict:
    rows = (
        Contract.objects.filter(LIVE)
        .annotate(c=TruncMonth("created_at"), a=TruncMonth("approved_at"),
                  r=TruncMonth("rejected_at"))
        .values_list("status", "c", "a", "r")
        .annotate(n=Count("*"))
        .order_by()
    )
    return {(s, _month(c), _month(a), _month(r)): n for s, c, a, r, n in rows}


def tallied() -> dict:
    return {
        (t.status, t.created_month, t.approved_month, t.rejected_month): t.n
        for t in ContractTally.objects.filter(n__gt=0)
    }


def assert_tally_exact():
    assert tallied() == scanned()
    assert not ContractTally.objects.filter(n__lt=0).exists()


def random_contract(rng: random.Random, now: datetime) -> Contract:
    status = rng.choice(STATUSES)
    created = now - timedelta(days=rng.randrange(0, 500))
    decided = created + timedelta(days=rng.randrange(0, 40))
    return Contract(
        title=f"Contract {rng.random()}", contract_type="nda", status=status,
        created_at=created,
        approved_at=decided if status in ("approved", "executed") else None,
        rejected_at=decided if status == "rejected" else None,
    )


@pytest.fixture
def in_acme(acme):
    with schema_context(acme.schema):
        yield acme


def test_inserts_updates_and_deletes_keep_the_tally_exact(in_acme):
    rng = random.Random(8)
    now = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # month edges in UTC matter
    Contract.objects.bulk_create([random_contract(rng, now) for _ in range(300)])
    assert_tally_exact()

    one = Contract.objects.filter(status="draft").first()
    one.status, one.title = "pending", "Renamed"
    one.save()
    assert_tally_exact()

    Contract.objects.filter(status="pending").update(status="draft")
    Contract.objects.filter(status="approved").update(rejected_at=now, status="rejected")
    assert_tally_exact()

    doomed = list(Contract.objects.filter(LIVE).values_list("pk", flat=True)[:40])
    Contract.objects.filter(pk__in=doomed[:20]).update(deleted_at=now)  # soft delete
    Contract.objects.filter(pk__in=doomed[20:]).delete()  # hard delete
    assert_tally_exact()

    Contract.objects.filter(pk__in=doomed[:10]).update(deleted_at=None)  # restored
    assert_tally_exact()


def test_an_edit_that_moves_no_bucket_writes_no_tally_row(in_acme):
    contract = Contract.objects.create(title="Quiet", contract_type="nda")
    before = list(ContractTally.objects.values_list("id", "n"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables "
                       "WHERE relname = 'contracts_contracttally' AND schemaname = %s",
                       [in_acme.schema])
        updates_before = cursor.fetchone()[0]
        Contract.objects.filter(pk=contract.pk).update(title="Still quiet", value=10)
        cursor.execute("SELECT n_tup_upd FROM pg_stat_xact_user_tables "
                       "WHERE relname = 'contracts_contracttally' AND schemaname = %s",
                       [in_acme.schema])
        assert cursor.fetchone()[0] == updates_before
    assert list(ContractTally.objects.values_list("id", "n")) == before


def test_writes_under_another_search_path_land_in_their_own_tenant(acme, globex):
    with schema_context(globex.schema):
        globex_before = tallied()
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{acme.schema}".contracts_contract (id, title, contract_type, status, '
            "value, currency, counterparty, is_approved, created_at, updated_at) "
            "SELECT gen_random_uuid(), 'Raw ' || g, 'msa', 'draft', 0, 'USD', '', false, "
            "now(), now() FROM generate_series(1, 25) g"
        )
    with schema_context(acme.schema):
        assert_tally_exact()
        assert contract_statistics()["draft"] == 25
    with schema_context(globex.schema):
        assert tallied() == globex_before


def test_truncate_empties_the_tally(in_acme):
    Contract.objects.create(title="Gone soon", contract_type="nda")
    with connection.cursor() as cursor:
        # Fire the deferred foreign-key checks first: TRUNCATE refuses pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE contracts_contract CASCADE")
    assert tallied() == {}
    assert contract_statistics()["total"] == 0


def test_statistics_read_one_small_query_however_many_contracts(in_acme, django_assert_num_queries):
    rng = random.Random(3)
    now = datetime.now(UTC)
    Contract.objects.bulk_create([random_contract(rng, now) for _ in range(2000)])
    with django_assert_num_queries(1):
        stats = contract_statistics()
    assert stats["total"] == 2000
    assert sum(stats[s] for s in STATUSES) == 2000
    # A few rows per status and month, not one per contract.
    assert ContractTally.objects.count() < 2000 / 2
