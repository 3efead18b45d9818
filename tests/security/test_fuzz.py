"""Schemathesis against the app's own OpenAPI: every operation, authenticated, all default checks.

CI runs a bounded number of examples per operation (FUZZ_EXAMPLES, default 5); `make fuzz`
runs many more. Any failure (a 500, a response that breaks its schema, an undocumented status,
data accepted that the schema forbids, auth ignored) fails the test.
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from api.main import api as ninja_api
from clm_platform.wsgi import application

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))

schema = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())
schema.app = application


_ADMIN_TOKEN = {"value": ""}


@schema.auth(refresh_interval=None, retry_on=[])
class AdminToken:
    """Authenticates through schemathesis, so its auth checks know which header is the token."""

    def get(self, case, context):
        return _ADMIN_TOKEN["value"]

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@pytest.fixture(autouse=True)
def _admin_token(acme):
    _ADMIN_TOKEN["value"] = acme.token("admin")


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes connections after each request; the test's transaction needs it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case):
    case.call_and_validate()
