"""The product's URLs plus the benchmark's bare view; never mounted by the product."""

from django.urls import path

from bench import views
from clm_platform.urls import handler404, handler500
from clm_platform.urls import urlpatterns as product_urlpatterns

urlpatterns = [
    path("bench/bare/<str:schema>/", views.bare_contracts),
    *product_urlpatterns,
]

__all__ = ["urlpatterns", "handler404", "handler500"]
