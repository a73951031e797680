"""Maps a functions tree to routes with FastFN's rules.

- A file is a function: ``hello.py`` → ``GET /hello``; ``index``, ``handler`` and ``main`` name
  their folder's root; ``[id]`` is a parameter, ``[...slug]`` a catch-all and ``[[...opt]]`` an
  optional catch-all (which also maps the folder's root); a leading ``get.`` ``post.`` ``put.``
  ``patch.`` or ``delete.`` sets the method (``post.users.[id].py`` → ``POST /users/{id}``), as
  does a file named after a method in a folder (``orders/[id]/put.py``); other files answer
  GET, or the methods of the nearest ``fn.config.json``.
- Static segments are lower-cased, with ``_`` and other characters outside ``[a-z0-9-]`` made
  ``-``; parameter names are lower-cased.
- Skipped: files starting with ``_``, ``*.test.*`` and ``*.spec.*``; folders starting with ``.``
  and ``node_modules``, ``vendor``, ``__pycache__``, ``.deps``, ``.rust-build``, ``target`` and
  ``src``; anything deeper than six folders.
- A folder holding an entry file (``handler.py``, ``index.js``, ...) is one function's home: only
  its explicit files (entry, method-prefixed, ``[param]``) are routes, its helpers stay private.
- The runtime-named layout: ``python/hello/handler.py`` (or ``node/``, ``php/``, ``go/``,
  ``rust/``) is the function ``hello`` at ``/hello`` and ``/hello/{wildcard}``.
- ``fn.routes.json`` (``{"routes": {"GET /items": "list.js"}}``) maps routes explicitly and beats
  file routes; a folder's ``fn.config.json`` that names a function (``name``, ``entrypoint``,
  ``invoke.routes``) beats both.
- Two routes of the same rank for the same path shape and method are a conflict: reported at
  startup and answered 409.
- Versions, as FastFN lays them out: a subfolder of a function's home holding an entry file is
  a version of it, served at ``/<route>@<version>`` (``hello/v2/handler.js`` → ``/hello@v2``),
  with the home's settings under its own ``fn.config.json``. Under a named function (the
  runtime layout, or a config that names one) any subfolder name does; in a zero-config folder,
  whose other subfolders are routes of their own, only ``v`` and a digit (``v2``, ``v2.1``).

Precedence for a request: static beats ``[param]`` beats catch-all; ``sort_key`` orders the
routes so that the first match is the most specific one."""
import copy
import os
import re

from .config import ConfigError, FunctionConfig, read_env, read_json

RUNTIMES = {".py": "python", ".js": "node", ".php": "php", ".go": "go", ".rs": "rust"}
METHOD_PREFIXES = ("get", "post", "put", "patch", "delete")
ROOT_NAMES = ("index", "handler", "main")
SKIPPED_FOLDERS = {"node_modules", "vendor", "__pycache__", ".fastfn", ".deps", ".rust-build", "target", "src"}
ENTRY_FILES = ("handler.py", "main.py", "handler.js", "index.js", "handler.php", "index.php",
               "handler.go", "main.go", "handler.rs")
# Which of several entry files in one folder serves it (FastFN's runtime order, less Lua).
ENTRY_RUNTIME_ORDER = ("go", "node", "php", "python", "rust")
MAX_DEPTH = 6
NAMESPACE_DEPTH = 3

_VERSION_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_ZERO_CONFIG_VERSION_NAME = re.compile(r"^v[0-9][A-Za-z0-9_.-]*$")
_PARAMETER = re.compile(r"^\[(\[)?(\.\.\.)?([A-Za-z0-9_]+)\]((?(1)\]))$")
_STATIC_JUNK = re.compile(r"[^a-z0-9-]+")
# Rank of where a route came from: a function's own config beats fn.routes.json beats a file.
RANK_FILE, RANK_MANIFEST, RANK_CONFIG = 1, 2, 3


class FunctionSpec:
    """One route of one function."""

    def __init__(self, name, file, runtime, methods, path, rank, config, env, secrets, root, version="default"):
        self.name = name
        # "default", or the version folder's name (``hello/v2/`` → "v2"): ``event.context.version``.
        self.version = version
        self.file = file
        self.folder = os.path.dirname(file)
        self.runtime = runtime
        self.methods = methods
        self.path = path
        self.rank = rank
        self.config = config
        self.env = env
        self.secrets = secrets
        self.relative_file = os.path.relpath(file, root)

    @property
    def shape(self):
        """The path with parameter names erased: two routes of one shape match the same URLs."""
        return re.sub(r"\{[^}:]+(:path)?\}", lambda m: "{*}" if m.group(1) else "{}", self.path)

    def __repr__(self):
        return f"FunctionSpec({','.join(self.methods)} {self.path} -> {self.relative_file})"


class Conflict:
    """Routes of equal rank for the same URLs and method: answered 409."""

    def __init__(self, path, methods, specs):
        self.path = path
        self.methods = methods
        self.files = sorted({spec.relative_file for spec in specs})

    def __str__(self):
        return f"{','.join(self.methods)} {self.path}: {' and '.join(self.files)}"


class Discovery:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.specs = []
        self.conflicts = []
        self.warnings = []
        self.root_config = None
        # A folder's ``home`` alias (its fn.config.json's ``{"home": {"route": ...}}``): the
        # folder's URL and the route (relative to it, or absolute) it serves there.
        self.folder_homes = []
        # Paths whose method file its config's ``invoke.methods`` leaves out: answered 405 (FastFN's
        # "routed, but denied by policy").
        self.denied_paths = set()


def discover(root):
    """The routes of the tree at ``root``, most specific first, with its conflicts."""
    found = Discovery(root)
    if not os.path.isdir(found.root):
        raise ConfigError(f"{root}: not a directory")
    raw = read_json(os.path.join(found.root, "fn.config.json"))
    found.root_config = FunctionConfig(raw, os.path.join(found.root, "fn.config.json"))
    base = FunctionConfig(_settings_only(raw), os.path.join(found.root, "fn.config.json"))
    _walk(found, found.root, [], base, 0)
    _resolve(found)
    return found


def _settings_only(raw):
    """A root config's settings that its files inherit (not its identity or assets)."""
    raw = dict(raw or {})
    for key in ("name", "runtime", "entrypoint", "home", "assets"):
        raw.pop(key, None)
    if isinstance(raw.get("invoke"), dict):
        raw["invoke"] = {k: v for k, v in raw["invoke"].items() if k not in ("routes", "route")}
    return raw


def _walk(found, folder, segments, inherited, depth):
    config_path = os.path.join(folder, "fn.config.json")
    raw = read_json(config_path) if depth > 0 else None
    config = inherited
    if raw is not None:
        own = FunctionConfig(raw, config_path)
        if own.names_a_function:
            return _configured_function(found, folder, segments, inherited.merged(raw, config_path))
        if isinstance(raw.get("home"), dict) and isinstance(raw["home"].get("route"), str):
            try:
                found.folder_homes.append((_paths(segments)[0], raw["home"]["route"], config_path))
            except ValueError as error:
                found.warnings.append(f"{config_path}: home: {error}; skipped")
        config = inherited.merged({key: value for key, value in raw.items() if key != "home"}, config_path)
    manifest = read_json(os.path.join(folder, "fn.routes.json"))
    if manifest is not None:
        return _manifest_routes(found, folder, manifest, config)
    try:
        entries = sorted(os.listdir(folder))
    except OSError as error:
        found.warnings.append(f"{folder}: {error}")
        return
    single_entry = any(name in ENTRY_FILES for name in entries)
    versions = _versions(found, folder, config, _ZERO_CONFIG_VERSION_NAME) if single_entry and depth > 0 else []
    if versions:
        try:
            home = _paths(segments)[0]
        except ValueError:
            home = None
        for version, version_folder, version_config in versions if home is not None else []:
            _add_version(found, version_folder, None, home, version, version_config, RANK_FILE)
    version_folders = {version_folder for _, version_folder, _ in versions}
    ignored_entries = _extra_entry_files(found, folder, entries)
    for name in entries:
        path = os.path.join(folder, name)
        if path in version_folders or name in ignored_entries:
            continue
        if os.path.isdir(path):
            if name.startswith(".") or name in SKIPPED_FOLDERS or _is_assets(found, path):
                continue
            if depth == 0 and name in RUNTIMES.values():
                _runtime_layout(found, path, name, config.without_schedule())
                _runtime_root_routes(found, path, name, config.without_schedule())
                continue
            if depth + 1 > MAX_DEPTH:
                found.warnings.append(f"{path}: deeper than {MAX_DEPTH} folders; skipped")
                continue
            _walk(found, path, segments + [name], config.without_schedule(), depth + 1)
        else:
            _file_route(found, path, segments, config, single_entry)


def _extra_entry_files(found, folder, entries):
    """A folder with several entry files (``handler.js`` and ``handler.py``) is served by one, as
    FastFN picks it: the first in its runtime order (go, node, php, python, rust); the others
    are ignored, with a warning."""
    present = [name for name in ENTRY_FILES if name in entries]
    if len(present) < 2:
        return set()
    order = {runtime: index for index, runtime in enumerate(ENTRY_RUNTIME_ORDER)}
    chosen = min(present, key=lambda name: (order[RUNTIMES[os.path.splitext(name)[1]]], ENTRY_FILES.index(name)))
    ignored = set(present) - {chosen}
    found.warnings.append(f"{os.path.relpath(folder, found.root)}: several entry files; {chosen} serves it, "
                          f"{', '.join(sorted(ignored))} ignored (FastFN's runtime order: {', '.join(ENTRY_RUNTIME_ORDER)})")
    return ignored


def _is_assets(found, path):
    assets = found.root_config.assets if found.root_config else None
    return isinstance(assets, dict) and os.path.abspath(os.path.join(found.root, str(assets.get("directory", "")))) == path


def _file_route(found, path, segments, config, single_entry):
    stem, extension = os.path.splitext(os.path.basename(path))
    runtime = RUNTIMES.get(extension)
    if runtime is None or stem.startswith("_") or stem.endswith((".test", ".spec")):
        return
    tokens = _split_tokens(stem)
    method = None
    if tokens and tokens[0].lower() in METHOD_PREFIXES:
        method = tokens.pop(0).upper()
        if tokens and tokens[0].lower() in METHOD_PREFIXES:
            found.warnings.append(f"{path}: two methods in one file name; skipped")
            return
    explicit = method is not None or any("[" in token for token in tokens) or (tokens and tokens[-1] in ROOT_NAMES)
    if single_entry and not explicit:
        return  # a helper beside a function's entry file
    if tokens and tokens[-1] in ROOT_NAMES:
        tokens.pop()
    try:
        paths = _paths(segments + tokens)
    except ValueError as error:
        found.warnings.append(f"{path}: {error}; skipped")
        return
    methods = [method] if method else (config.methods or ["GET"])
    if method and config.methods is not None and method not in config.methods:
        found.denied_paths.update(paths)  # FastFN routes it, then its policy answers 405
        return
    env, secrets = read_env(os.path.dirname(path))
    name = os.path.relpath(path, found.root)
    for route in paths:
        found.specs.append(FunctionSpec(name, path, runtime, methods, route, RANK_FILE, config, env, secrets, found.root))


def _split_tokens(stem):
    """A file name without its extension, split on dots outside brackets."""
    tokens, current, depth = [], "", 0
    for char in stem:
        if char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
        if char == "." and depth == 0:
            tokens.append(current)
            current = ""
        else:
            current += char
    tokens.append(current)
    return [token for token in tokens if token]


def _paths(tokens):
    """The route paths (Starlette syntax) for path tokens: one, or two for an optional catch-all."""
    parts = []
    for index, token in enumerate(tokens):
        match = _PARAMETER.match(token)
        if match is None:
            if "[" in token or "]" in token:
                raise ValueError(f"malformed parameter {token!r}")
            static = _STATIC_JUNK.sub("-", token.lower()).strip("-")
            if static:
                parts.append(static)
            continue
        optional, catch_all, name = bool(match.group(1)), bool(match.group(2)), match.group(3).lower()
        if optional and not catch_all:
            raise ValueError(f"[[{name}]] must be an optional catch-all, [[...{name}]]")
        if catch_all and index != len(tokens) - 1:
            raise ValueError(f"the catch-all {token} must be the last segment")
        if catch_all:
            base = "/" + "/".join(parts)
            full = base.rstrip("/") + "/{" + name + ":path}"
            return [base, full] if optional else [full]
        parts.append("{" + name + "}")
    return ["/" + "/".join(parts)]


def _manifest_routes(found, folder, manifest, config):
    where = os.path.join(folder, "fn.routes.json")
    routes = manifest.get("routes") if isinstance(manifest, dict) else None
    if not isinstance(routes, dict):
        raise ConfigError(f'{where}: expected {{"routes": {{"GET /path": "file"}}}}')
    env_cache = {}
    for key, target in routes.items():
        methods_part, _, route = key.strip().rpartition(" ")
        methods = [m.strip().upper() for m in methods_part.replace(",", " ").split()] or ["GET"]
        file = os.path.normpath(os.path.join(folder, str(target)))
        if not file.startswith(found.root + os.sep) or not os.path.isfile(file):
            found.warnings.append(f"{where}: {key} -> {target}: no such file in the tree; skipped")
            continue
        runtime = RUNTIMES.get(os.path.splitext(file)[1])
        if runtime is None:
            found.warnings.append(f"{where}: {key} -> {target}: not a function file; skipped")
            continue
        path = _manifest_path(route)
        if path is None:
            found.warnings.append(f"{where}: {key}: not a route path; skipped")
            continue
        env, secrets = env_cache.setdefault(os.path.dirname(file), read_env(os.path.dirname(file)))
        name = os.path.relpath(file, found.root)
        found.specs.append(FunctionSpec(name, file, runtime, methods, path, RANK_MANIFEST, config, env, secrets, found.root))


def _manifest_path(route):
    """A manifest or ``invoke.routes`` path (``/items/:id``, ``/files/:rest*``, ``/x/*``) in
    Starlette syntax, or None."""
    if not route.startswith("/") or ".." in route.split("/"):
        return None
    parts = [part for part in route.split("/") if part]
    out = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "*" and last:
            out.append("{wildcard:path}")
        elif part.startswith(":") and part.endswith("*") and last and re.fullmatch(r":[A-Za-z0-9_]+\*", part):
            out.append("{" + part[1:-1].lower() + ":path}")
        elif re.fullmatch(r":[A-Za-z0-9_]+", part):
            out.append("{" + part[1:].lower() + "}")
        elif re.fullmatch(r"[A-Za-z0-9._~-]+", part):
            out.append(part)
        else:
            return None
    return "/" + "/".join(out)


def _entry_file(folder, config):
    if config.entrypoint:
        path = os.path.join(folder, config.entrypoint)
        return path if os.path.isfile(path) else None
    present = [name for name in ENTRY_FILES if os.path.isfile(os.path.join(folder, name))]
    if not present:
        return None
    order = {runtime: index for index, runtime in enumerate(ENTRY_RUNTIME_ORDER)}
    return os.path.join(folder, min(present, key=lambda name: (order[RUNTIMES[os.path.splitext(name)[1]]],
                                                                ENTRY_FILES.index(name))))


def _named_function(found, folder, name, config, rank):
    entry = _entry_file(folder, config)
    if entry is None:
        found.warnings.append(f"{folder}: no entry file (handler.py, index.js, ...); skipped")
        return
    runtime = config.raw.get("runtime") or RUNTIMES.get(os.path.splitext(entry)[1])
    if runtime not in RUNTIMES.values():
        found.warnings.append(f"{folder}: unknown runtime {runtime!r}; skipped")
        return
    routes = config.routes or [f"/{name}", f"/{name}/*"]
    env, secrets = read_env(folder)
    for route in routes:
        path = _manifest_path(route)
        if path is None:
            found.warnings.append(f"{folder}: route {route!r} is not a route path; skipped")
            continue
        found.specs.append(FunctionSpec(name, entry, runtime, config.methods or ["GET"], path, rank, config, env, secrets,
                                        found.root))
    for version, version_folder, version_config in _versions(found, folder, config, _VERSION_NAME):
        _add_version(found, version_folder, name, f"/{name}", version, version_config, rank)


def _versions(found, folder, config, pattern):
    """The version folders of the function at home in ``folder``: (name, folder, settings), the
    folder's ``fn.config.json`` over the home's."""
    versions = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isdir(path) or name in SKIPPED_FOLDERS or name.startswith(".") or not pattern.match(name):
            continue
        raw = read_json(os.path.join(path, "fn.config.json"))
        own = config.without_schedule()
        if raw is not None:
            own = own.merged(raw, os.path.join(path, "fn.config.json"))
        if _entry_file(path, own) is not None:
            versions.append((name, path, own))
    return versions


def _add_version(found, folder, name, home, version, config, rank):
    entry = _entry_file(folder, config)
    runtime = config.raw.get("runtime") or RUNTIMES.get(os.path.splitext(entry)[1])
    if runtime not in RUNTIMES.values():
        found.warnings.append(f"{folder}: unknown runtime {runtime!r}; skipped")
        return
    env, secrets = read_env(folder)
    name = name or os.path.relpath(entry, found.root)
    found.specs.append(FunctionSpec(name, entry, runtime, config.methods or ["GET"], f"{home.rstrip('/') or ''}@{version}",
                                    rank, config, env, secrets, found.root, version=version))


def _configured_function(found, folder, segments, config):
    name = config.raw.get("name") or "/".join(segments)
    _named_function(found, folder, str(name).strip("/"), config, RANK_CONFIG)


def _runtime_root_routes(found, folder, runtime, config):
    """A top-level runtime folder also has file routes, as FastFN serves them
    (``php/get.export.php`` → ``GET /php/export``): its files, and its subfolders that hold no
    function of the runtime layout, are routes as in any folder."""
    entries = sorted(os.listdir(folder))
    single_entry = any(name in ENTRY_FILES for name in entries)
    for name in entries:
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            if not (name.startswith(".") or name in SKIPPED_FOLDERS or _holds_function(path, config, 1)):
                _walk(found, path, [runtime, name], config, 2)
        else:
            _file_route(found, path, [runtime], config, single_entry)


def _holds_function(folder, config, depth):
    """Whether the runtime layout finds a function in ``folder`` (its own, or a namespace's)."""
    if _entry_file(folder, config) is not None:
        return True
    if depth >= NAMESPACE_DEPTH:
        return False
    return any(_holds_function(os.path.join(folder, name), config, depth + 1) for name in sorted(os.listdir(folder))
               if os.path.isdir(os.path.join(folder, name)) and not name.startswith(".") and name not in SKIPPED_FOLDERS)


def _runtime_layout(found, folder, runtime, config, namespace=(), depth=1):
    """``<runtime>/<namespace...>/<name>/`` folders holding an entry file."""
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isdir(path) or name.startswith(".") or name in SKIPPED_FOLDERS:
            continue
        raw = read_json(os.path.join(path, "fn.config.json"))
        own = config.merged(raw, os.path.join(path, "fn.config.json")) if raw is not None else config
        if _entry_file(path, own) is not None:
            _named_function(found, path, "/".join([*namespace, name]), own, RANK_FILE)
        elif depth < NAMESPACE_DEPTH:
            _runtime_layout(found, path, runtime, own.without_schedule(), (*namespace, name), depth + 1)


def _resolve(found):
    """Keeps the highest-ranked routes for each path shape and method, records conflicts, and
    orders the rest most specific first."""
    by_key = {}
    for spec in found.specs:
        for method in spec.methods:
            by_key.setdefault((spec.shape, method), []).append(spec)
    kept, conflicting = {}, {}
    for (shape, method), specs in by_key.items():
        top = max(spec.rank for spec in specs)
        best = [spec for spec in specs if spec.rank == top]
        if len({spec.file for spec in best}) > 1:
            conflicting.setdefault(shape, {}).setdefault(method, best)
        else:
            kept.setdefault(id(best[0]), (best[0], []))[1].append(method)
    specs = []
    for spec, methods in kept.values():
        if methods != spec.methods:
            spec = _with_methods(spec, methods)
        specs.append(spec)
    for shape, methods in conflicting.items():
        involved = [spec for group in methods.values() for spec in group]
        found.conflicts.append(Conflict(involved[0].path, sorted(methods), involved))
    specs.sort(key=lambda spec: sort_key(spec.path))
    found.specs = specs
    found.conflicts.sort(key=lambda conflict: sort_key(conflict.path))


def _with_methods(spec, methods):
    narrowed = copy.copy(spec)
    narrowed.methods = methods
    return narrowed


def sort_key(path):
    """Most specific first: static paths, then (as FastFN sorts dynamic routes) more static
    segments, more segments, fewer catch-alls, more parameters, then by name."""
    segments = [segment for segment in path.split("/") if segment]
    catch_alls = sum(1 for s in segments if s.endswith(":path}"))
    parameters = sum(1 for s in segments if s.startswith("{"))
    statics = len(segments) - parameters
    return (parameters > 0, -statics, -len(segments), catch_alls, -(parameters - catch_alls), path)
