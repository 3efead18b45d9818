"""Settings of the benchmark server: the product's, plus the bare baseline view's URL.

With BENCH_COUNT_QUERIES=1 an outermost middleware reports each request's queries and
`SET search_path` statements in response headers (only for the counting pass: it costs).
"""

import os

from clm_platform.settings import *  # noqa: F403 - the product's settings, unchanged
from clm_platform.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_COUNT_QUERIES") == "1":
    MIDDLEWARE = ["bench.views.QueryCountMiddleware", *MIDDLEWARE]

# Provisioning the way the product did before its template copy: migrations (or the clone below).
if os.environ.get("BENCH_PROVISION") == "migrations":
    TENANT_SCHEMA_FROM_TEMPLATE = False

# Provisioning by schema cloning (the template tenant is a real tenant, so it stays migrated).
if os.environ.get("BENCH_CLONE_SCHEMA"):
    TENANT_BASE_SCHEMA = os.environ["BENCH_CLONE_SCHEMA"]
    TENANT_CREATION_FAKES_MIGRATIONS = True

# One new tenant migration for the migrations benchmark.
if os.environ.get("BENCH_PROBE_APP") == "1":
    TENANT_APPS = [*TENANT_APPS, "bench.probe"]  # noqa: F405
    INSTALLED_APPS = [*INSTALLED_APPS, "bench.probe"]  # noqa: F405
