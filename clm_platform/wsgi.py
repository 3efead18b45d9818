"""WSGI entry point served by gunicorn (sync workers; see README "Design decisions")."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clm_platform.settings")
application = get_wsgi_application()
