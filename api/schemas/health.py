"""Wire schemas of the health endpoints."""

from datetime import datetime

from ninja import Schema


class HealthComponentsOut(Schema):
    database: str
    cache: str
    storage: str


class HealthLatencyOut(Schema):
    database: float | None
    cache: float | None
    storage: float | None


class HealthOut(Schema):
    status: str
    timestamp: datetime
    components: HealthComponentsOut
    latency_ms: HealthLatencyOut


class ComponentHealthOut(Schema):
    status: str
    timestamp: datetime
    connection: str
    latency_ms: float | None


class MetricsOut(Schema):
    timestamp: datetime
    # Of the process that answered; the counters below are shared by all processes.
    uptime_seconds: int
    requests_total: int | None
    requests_per_minute: float | None
    errors_total: int | None
    error_rate: float | None
    counting_since: int | None
    database_connections: int | None
    cache_memory_usage_mb: float | None
