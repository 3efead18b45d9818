"""Dramatiq actors. `dramatiq tasks` imports this package; it sets Django and the broker up."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clm_platform.settings")
django.setup()

from clm_platform import broker  # noqa: E402,F401 - must precede every actor declaration
