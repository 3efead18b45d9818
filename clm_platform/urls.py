"""URL map: the API under /api/, probes outside it."""

from django.urls import path

from api import health, metrics
from api.errors import standard_error
from api.main import api

urlpatterns = [
    path("api/", api.urls),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    path("metrics", metrics.prometheus_view),
]


def handler404(request, exception=None):
    return standard_error(404)


def handler500(request):
    return standard_error(500)
