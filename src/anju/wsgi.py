"""WSGI entry point for production servers (``anju.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
application = get_wsgi_application()
