"""A function's settings: ``fn.config.json`` (inherited by the files below its folder unless it
names a function of its own), ``fn.env.json`` beside the handler, with FastFN's defaults."""
import json
import os

from . import schedules
from .errors import ConfigError, MissingFastAPI  # noqa: F401 (the rest of the package imports them from here)

DEFAULT_TIMEOUT_MS = 2500
DEFAULT_MAX_CONCURRENCY = 20
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
MAX_CONCURRENCY = 100_000
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def read_json(path):
    """The parsed file, or None if it does not exist."""
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: {error}") from None


def methods_of(value, where):
    """``invoke.methods`` as a list of upper-case methods."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: invoke.methods must be a method or a list of methods")
    methods = []
    for method in value:
        if not isinstance(method, str) or method.upper() not in METHODS:
            raise ConfigError(f"{where}: invoke.methods has {method!r}; allowed: {', '.join(METHODS)}")
        if method.upper() not in methods:
            methods.append(method.upper())
    return methods


def _positive(config, key, default, where):
    value = config.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ConfigError(f"{where}: {key} must be a positive integer")
    return value


class FunctionConfig:
    """The settings of one function, as its handler's ``event.context`` and the runtime see them."""

    def __init__(self, raw=None, where="defaults"):
        raw = raw or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: must be a JSON object")
        self.raw = raw
        self.where = where
        # A schedule is its folder's own: never inherited by the folders below (``merged`` and
        # ``without_schedule`` drop it), so ``schedule_where`` names the file it came from.
        self.schedule_where = where if "schedule" in raw else None
        self.schedule = schedules.parse(raw["schedule"], where) if "schedule" in raw else None
        self.timeout_ms = _positive(raw, "timeout_ms", DEFAULT_TIMEOUT_MS, where)
        self.max_concurrency = _positive(raw, "max_concurrency", DEFAULT_MAX_CONCURRENCY, where)
        if self.max_concurrency > MAX_CONCURRENCY:
            # A Python function's gate holds a token per request that may run.
            raise ConfigError(f"{where}: max_concurrency must be at most {MAX_CONCURRENCY}")
        self.max_body_bytes = _positive(raw, "max_body_bytes", DEFAULT_MAX_BODY_BYTES, where)
        invoke = raw.get("invoke") or {}
        if not isinstance(invoke, dict):
            raise ConfigError(f"{where}: invoke must be an object")
        self.methods = methods_of(invoke["methods"], where) if "methods" in invoke else None
        self.handler = invoke.get("handler", "handler")
        if not isinstance(self.handler, str) or not self.handler.replace("_", "a").replace("$", "a").isalnum():
            raise ConfigError(f"{where}: invoke.handler must be a function name")
        routes = invoke.get("routes", invoke.get("route"))
        if isinstance(routes, str):
            routes = [routes]
        if routes is not None and not (isinstance(routes, list) and all(isinstance(r, str) and r.startswith("/") for r in routes)):
            raise ConfigError(f"{where}: invoke.routes must be a list of paths starting with /")
        self.routes = routes
        self.entrypoint = raw.get("entrypoint")
        if self.entrypoint is not None and (not isinstance(self.entrypoint, str) or ".." in self.entrypoint.split("/")
                                            or self.entrypoint.startswith("/")):
            raise ConfigError(f"{where}: entrypoint must be a relative path inside the function's folder")
        self.worker_pool = _worker_pool(raw.get("worker_pool") or {}, self.max_concurrency, where)
        self.home = raw.get("home")
        self.assets = raw.get("assets")

    @property
    def names_a_function(self):
        """A config that names a function of its own (FastFN's "explicit identity"), rather
        than settings for the files below it."""
        invoke = self.raw.get("invoke") or {}
        return any(key in self.raw for key in ("runtime", "name", "entrypoint")) or bool(invoke.get("routes"))

    def merged(self, child, where):
        """These settings with a nearer ``fn.config.json`` over them."""
        raw = dict(self.raw)
        raw.pop("schedule", None)
        for key, value in child.items():
            if key == "invoke" and isinstance(value, dict) and isinstance(raw.get("invoke"), dict):
                raw["invoke"] = {**raw["invoke"], **value}
            else:
                raw[key] = value
        return FunctionConfig(raw, where)

    def without_schedule(self):
        """These settings as the folders below inherit them."""
        if self.schedule_where is None:
            return self
        raw = dict(self.raw)
        del raw["schedule"]
        return FunctionConfig(raw, self.where)

    def context(self):
        return {
            "timeout_ms": self.timeout_ms,
            "max_concurrency": self.max_concurrency,
            "max_body_bytes": self.max_body_bytes,
            "worker_pool": dict(self.worker_pool),
        }


def _worker_pool(raw, max_concurrency, where):
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: worker_pool must be an object")
    pool = {
        "max_workers": raw.get("max_workers", max_concurrency),
        "max_queue": raw.get("max_queue", 0),
        "queue_timeout_ms": raw.get("queue_timeout_ms", 0),
        "min_warm": raw.get("min_warm", 0),
        "idle_ttl_seconds": raw.get("idle_ttl_seconds", 300),
        "overflow_status": raw.get("overflow_status", 429),
    }
    for key, value in pool.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"{where}: worker_pool.{key} must be a non-negative integer")
    if pool["max_workers"] < 1:
        raise ConfigError(f"{where}: worker_pool.max_workers must be at least 1")
    if pool["overflow_status"] not in (429, 503):
        pool["overflow_status"] = 429  # FastFN's rule: anything else is 429
    pool["min_warm"] = min(pool["min_warm"], pool["max_workers"])
    return pool


def read_env(folder):
    """``fn.env.json`` of a function's folder: the values (as strings) and the names of the
    secret ones."""
    path = os.path.join(folder, "fn.env.json")
    raw = read_json(path)
    if raw is None:
        return {}, set()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: must be a JSON object")
    values, secrets = {}, set()
    for key, entry in raw.items():
        secret = False
        if isinstance(entry, dict):
            secret = bool(entry.get("is_secret", False))
            entry = entry.get("value")
        if entry is None:
            continue
        values[key] = entry if isinstance(entry, str) else json.dumps(entry)
        if secret:
            secrets.add(key)
    return values, secrets
