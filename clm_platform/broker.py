"""Dramatiq broker set-up: Redis for every process that sends or runs tasks; a stub in tests.

Imported before any actor is declared (tasks/__init__.py), because actors bind to the global
broker when they are defined.
"""

import dramatiq
from django.conf import settings
from django.db import close_old_connections, connections
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware


class DjangoConnections(Middleware):
    """What Django's request signals do for web requests, done around each message: drop
    broken or expired connections (CONN_MAX_AGE), and close a worker thread's connections
    when it stops so none outlive it."""

    def before_process_message(self, broker, message):
        close_old_connections()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        close_old_connections()

    after_skip_message = after_process_message

    def before_worker_thread_shutdown(self, broker, thread):
        connections.close_all()


def build_broker() -> dramatiq.Broker:
    if settings.DRAMATIQ_BROKER == "stub":
        broker = StubBroker()
    else:
        broker = RedisBroker(url=settings.REDIS_URL)
    broker.add_middleware(DjangoConnections())
    return broker


broker = build_broker()
dramatiq.set_broker(broker)
