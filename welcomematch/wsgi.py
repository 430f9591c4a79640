"""WSGI entry point for production servers (``gunicorn welcomematch.wsgi``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "welcomematch.settings")
application = get_wsgi_application()
