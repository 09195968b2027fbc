"""The classic mistake (tests/doctor.rs): Channels installed and
ASGI_APPLICATION set, but no "daphne" in INSTALLED_APPS, so `manage.py
runserver` is Django's WSGI server and answers WebSocket upgrades 404."""
from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "daphne"]
