# wsmon doctor: reads how a Django project serves WebSockets and prints it
# as one JSON object between marker lines. Run by `manage.py shell -c` with
# the project's own interpreter. Read-only: it imports the settings and the
# ASGI application, never touches the database or the channel layer.
import json
import sys
import traceback


def last_line(exc):
    lines = traceback.format_exception_only(type(exc), exc)
    return (lines[-1] if lines else repr(exc)).strip()


def version(module):
    try:
        from importlib.metadata import version as v

        return v(module)
    except Exception:
        return None


def dotted(obj):
    kind = obj if isinstance(obj, type) else type(obj)
    if callable(obj) and not isinstance(obj, type) and hasattr(obj, "__qualname__"):
        kind = obj
    return "%s.%s" % (getattr(kind, "__module__", "?"), getattr(kind, "__qualname__", kind.__class__.__name__))


def redis_host(entry):
    from urllib.parse import urlparse

    if isinstance(entry, dict):
        if "address" in entry:
            entry = entry["address"]
        elif "host" in entry:
            return {"host": str(entry["host"]), "port": int(entry.get("port", 6379))}
        else:
            return {"unparsed": "a dict without address"}
    if isinstance(entry, (tuple, list)) and len(entry) >= 2:
        return {"host": str(entry[0]), "port": int(entry[1])}
    if isinstance(entry, str):
        u = urlparse(entry)
        if u.scheme == "unix":
            return {"unix": u.path}
        if u.scheme in ("redis", "rediss"):
            # Never the password: host and port only.
            return {"host": u.hostname or "localhost", "port": u.port or 6379, "tls": u.scheme == "rediss"}
        return {"unparsed": "an address with scheme %r" % u.scheme}
    return {"unparsed": "a %s" % type(entry).__name__}


def channel_layers(settings):
    layers = []
    for alias, conf in (getattr(settings, "CHANNEL_LAYERS", None) or {}).items():
        conf = conf or {}
        backend = str(conf.get("BACKEND", ""))
        config = conf.get("CONFIG") or {}
        layer = {"alias": str(alias), "backend": backend, "hosts": []}
        if "redis" in backend.lower():
            hosts = config.get("hosts") or [("localhost", 6379)]
            layer["hosts"] = [redis_host(h) for h in hosts]
        layers.append(layer)
    return layers


class Walk:
    def __init__(self):
        self.routes = []
        self.opaque = []

    def app(self, app, segments, wrappers, origins, depth):
        from channels.routing import URLRouter
        from channels.security.websocket import OriginValidator

        if depth > 40:
            self.opaque.append({"at": segments, "what": "nested too deep"})
            return
        if isinstance(app, URLRouter) or getattr(app, "_path_routing", False) is True:
            for route in getattr(app, "routes", []):
                pattern = route.pattern
                regex = getattr(getattr(pattern, "regex", None), "pattern", None)
                kind = "re_path" if type(pattern).__name__ == "RegexPattern" else "path"
                segment = {"kind": kind, "route": str(pattern), "regex": regex}
                self.app(route.callback, segments + [segment], wrappers, origins, depth + 1)
            return
        if isinstance(app, OriginValidator):
            allowed = [str(o) for o in app.allowed_origins]
            self.app(app.application, segments, wrappers + [dotted(app)], allowed, depth + 1)
            return
        consumer = getattr(app, "consumer_class", None)
        if consumer is not None or isinstance(app, type):
            self.route(segments, dotted(consumer or app), wrappers, origins)
            return
        for attr in ("inner", "application", "app"):
            inner = getattr(app, attr, None)
            if inner is not None and inner is not app and callable(inner):
                self.app(inner, segments, wrappers + [dotted(app)], origins, depth + 1)
                return
        if segments:
            self.route(segments, dotted(app), wrappers, origins)
        else:
            self.opaque.append({"at": segments, "what": dotted(app)})

    def route(self, segments, consumer, wrappers, origins):
        self.routes.append(
            {"segments": segments, "consumer": consumer, "wrappers": wrappers, "allowed_origins": origins}
        )


def asgi(settings, out):
    name = getattr(settings, "ASGI_APPLICATION", None)
    out["asgi_application"] = name
    if not name:
        return
    try:
        from django.utils.module_loading import import_string

        app = import_string(name)
    except Exception as e:
        out["asgi_error"] = last_line(e)
        return
    out["asgi_loaded"] = True
    out["asgi_type"] = dotted(app)
    try:
        from channels.routing import ProtocolTypeRouter
    except Exception as e:
        out["asgi_error"] = "channels is not importable: " + last_line(e)
        return
    if not isinstance(app, ProtocolTypeRouter):
        out["protocols"] = None
        return
    mapping = app.application_mapping
    out["protocols"] = sorted(str(k) for k in mapping)
    ws = mapping.get("websocket")
    if ws is None:
        return
    walk = Walk()
    try:
        walk.app(ws, [], [], None, 0)
    except Exception as e:
        out["walk_error"] = last_line(e)
    out["routes"] = walk.routes
    out["opaque"] = walk.opaque


def main():
    out = {"wsmon_doctor": 1, "python": sys.version.split()[0]}
    try:
        import django
        from django.conf import settings

        out["django"] = django.get_version()
        out["channels"] = version("channels")
        out["daphne"] = version("daphne")
        out["channels_redis"] = version("channels_redis")
        out["settings_module"] = settings.SETTINGS_MODULE
        out["debug"] = bool(settings.DEBUG)
        out["installed_apps"] = [str(a) for a in settings.INSTALLED_APPS]
        out["allowed_hosts"] = [str(h) for h in settings.ALLOWED_HOSTS]
        try:
            out["channel_layers"] = channel_layers(settings)
        except Exception as e:
            out["channel_layers_error"] = last_line(e)
        asgi(settings, out)
    except Exception as e:
        out["error"] = last_line(e)
    sys.stdout.write("\n@@wsmon-doctor-begin@@\n" + json.dumps(out) + "\n@@wsmon-doctor-end@@\n")
    sys.stdout.flush()


main()
