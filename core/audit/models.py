"""Audit log rows: one per change, written in the change's transaction, append-only and chained.

The database owns the chain (migration 0002): a BEFORE INSERT trigger serialises writers per
tenant schema with a transaction-scoped advisory lock, numbers the row (`seq`), links it to the
previous row's hash and hashes the row's canonical text. Other triggers refuse UPDATE, DELETE and
TRUNCATE, so history changes only by bypassing the triggers, which `audit_verify` then detects.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# The canonical content of row `r` hashed into the chain. jsonb's text form is canonical (keys
# sorted, whitespace fixed), the timestamp is rendered in UTC whatever the session's time zone.
# The insert trigger (migration 0002) embeds the same expression; a test pins that they agree.
ROW_HASH_SQL = (
    "encode(sha256(convert_to(jsonb_build_array("
    "{r}.prev_hash, {r}.seq, {r}.id::text, {r}.entity_type, {r}.entity_id, {r}.action, "
    "{r}.performed_by_id::text, {r}.performer_email, {r}.changes, {r}.metadata, "
    "to_char({r}.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
    ")::text, 'UTF8')), 'hex')"
)


class AuditLog(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    entity_type = models.CharField(max_length=50)
    entity_id = models.CharField(max_length=64)
    action = models.CharField(max_length=30)
    # DO_NOTHING: history keeps who acted even if the user row goes (and the table refuses
    # the UPDATE that SET_NULL would issue).
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.DO_NOTHING, related_name="+",
        db_constraint=False,
    )
    performer_email = models.CharField(max_length=254, blank=True)
    changes = models.JSONField(default=dict)
    metadata = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set by the chain trigger (db_default makes Django read them back with RETURNING).
    seq = models.BigIntegerField(db_default=0, editable=False)
    prev_hash = models.CharField(max_length=64, db_default="", editable=False)
    hash = models.CharField(max_length=64, db_default="", editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["entity_type", "entity_id", "-created_at"]),
            models.Index(fields=["action", "-created_at"]),
            models.Index(fields=["performed_by", "-created_at"]),
        ]
        constraints = [models.UniqueConstraint(fields=["seq"], name="audit_seq_unique")]
