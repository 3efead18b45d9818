"""Dramatiq broker set-up: Redis for every process that sends or runs tasks; a stub in tests.

Imported before any actor is declared (tasks/__init__.py), because actors bind to the global
broker when they are defined.
"""

import dramatiq
from django.conf import settings
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker


def build_broker() -> dramatiq.Broker:
    if settings.DRAMATIQ_BROKER == "stub":
        return StubBroker()
    return RedisBroker(url=settings.REDIS_URL)


broker = build_broker()
dramatiq.set_broker(broker)
