"""The same project without Daphne and Channels: `manage.py runserver`
is then Django's plain WSGI server, which answers a WebSocket upgrade with
404 and `Server: WSGIServer/0.2 CPython/3.x` — the seed's first mistake."""
from .settings import *  # noqa: F401,F403
from .settings import INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in ("daphne", "channels")]
del ASGI_APPLICATION  # noqa: F821
