"""Updates a model instance from a dict and returns the audit diff of what changed."""

from django.utils import timezone

from core.audit.services import jsonable


def model_update(instance, data: dict, *, touch: str | None = "updated_at") -> dict:
    changes = {}
    for field, new in data.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = {"old": jsonable(old), "new": jsonable(new)}
            setattr(instance, field, new)
    if changes:
        fields = list(changes)
        if touch:
            setattr(instance, touch, timezone.now())
            fields.append(touch)
        instance.save(update_fields=fields)
    return changes
