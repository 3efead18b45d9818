"""The one entry point for domain events; called by services inside their transaction."""

import json

from django.core.serializers.json import DjangoJSONEncoder

from core.events.models import EVENT_TYPES, Event


def event_emit(*, type: str, data: dict) -> Event:
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type: {type}")
    # Round-trip through the JSON encoder so UUIDs, dates and decimals are stored as the API shows.
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    return Event.objects.create(type=type, data=payload)
