"""The one entry point for domain events; called by services inside their transaction.

Writing the event also writes the webhook outbox: one Delivery row per active endpoint
subscribed to the type, in the same transaction, and the delivery task is enqueued only after
commit. A rolled-back change therefore sends nothing, and a committed one is never lost.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder

from core.events.models import EVENT_TYPES, Event
from core.webhooks.services import deliveries_create


def event_emit(*, type: str, data: dict) -> Event:
    if type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type: {type}")
    # Round-trip through the JSON encoder so UUIDs, dates and decimals are stored as the API shows.
    payload = json.loads(json.dumps(data, cls=DjangoJSONEncoder))
    event = Event.objects.create(type=type, data=payload)
    deliveries_create(event=event)
    return event
