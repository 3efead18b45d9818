"""Dramatiq actors. `dramatiq tasks` imports this package; it sets Django and the broker up."""

import importlib
import os
import pkgutil

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clm_platform.settings")
django.setup()

from clm_platform import broker  # noqa: E402,F401 - must precede every actor declaration

# `dramatiq tasks` imports only this package: load every actor module in it, and the
# scheduler's heartbeat actor, so the worker knows each actor that may be sent to it.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
importlib.import_module("dramatiq_crontab.tasks")
