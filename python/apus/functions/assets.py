"""The root ``fn.config.json``'s ``assets`` block: a folder of static files served with the
functions, as FastFN serves it.

``{"assets": {"directory": "public", "not_found_handling": "404" | "single-page-application",
"run_worker_first": false, "follow_symlinks": false}}``

- static-first (``run_worker_first`` false, the default): a file beats a function at its path;
- worker-first: functions first, files after;
- ``/`` and a folder's URL serve its ``index.html``; only GET and HEAD;
- single-page-application: a navigation request (an extensionless GET with one of FastFN's
  signals: ``Accept`` with ``text/html`` or ``*/*``, ``Sec-Fetch-Mode: navigate``,
  ``Sec-Fetch-Dest: document``) that nothing else answers gets the root ``index.html``;
  ``/missing.js`` stays 404, and so does an API-looking path (under ``/api``, or under a folder of
  functions: ``/api/unknown`` beside ``/api/hello``);
- a file whose real path leaves the folder (a symlink to ``/etc/passwd``, say) is not served,
  unless ``follow_symlinks`` is true (Starlette's ``StaticFiles(follow_symlink=)``); such a file
  is named in the log at start, and checked again on each request (a link swapped in later).

Each file is a route of its own (the tree is discovered again on a reload), so asset requests
are planned like any other route."""
import logging
import os

from .toolkit import FileAnswer, JSONAnswer, RequestType, Route
from .config import ConfigError

MODES = {"404": False, "single-page-application": True, "spa": True}


class Assets:
    def __init__(self, root, raw):
        if not isinstance(raw, dict):
            raise ConfigError("fn.config.json: assets must be an object")
        directory = str(raw.get("directory", ""))
        folder = os.path.abspath(os.path.join(root, directory))
        if not directory or not folder.startswith(root + os.sep) or not os.path.isdir(folder):
            raise ConfigError(f"fn.config.json: assets.directory {directory!r} is not a folder of the tree")
        handling = str(raw.get("not_found_handling", "404"))
        if handling not in MODES:
            raise ConfigError('fn.config.json: assets.not_found_handling must be "404" or "single-page-application"')
        self.folder = folder
        self.single_page = MODES[handling]
        self.worker_first = bool(raw.get("run_worker_first", False))
        self.follow_symlinks = bool(raw.get("follow_symlinks", False))
        self.real_folder = os.path.realpath(folder)

    def files(self):
        """(URL path, file) for every file; a folder's index.html also at the folder's URL."""
        found = []
        for folder, folders, names in os.walk(self.folder):
            folders[:] = sorted(name for name in folders if not name.startswith("."))
            for name in sorted(names):
                if name.startswith("."):
                    continue
                file = os.path.join(folder, name)
                url = "/" + os.path.relpath(file, self.folder).replace(os.sep, "/")
                if not self.follow_symlinks and not _inside(self.real_folder, file):
                    logging.getLogger("apus").warning(
                        "assets: %s leads outside %s; not served (set assets.follow_symlinks to serve it)",
                        url, self.folder)
                    continue
                found.append((url, file))
                if name == "index.html":
                    found.append((url[: -len("index.html")].rstrip("/") or "/", file))
        return found

    def add_routes(self, app):
        for url, file in self.files():
            checked = None if self.follow_symlinks else self.real_folder
            app.router.routes.append(Route(url, _file_endpoint(file, checked), methods=["GET", "HEAD"],
                                              include_in_schema=False, name=f"asset {url}"))

    def add_fallback(self, app, function_paths):
        """``function_paths``: the tree's function routes, whose first folders (with ``api``) are
        API-looking: an unknown path under them is a 404, not the app shell."""
        index = os.path.join(self.folder, "index.html")
        if not self.single_page or not os.path.isfile(index):
            return
        api_prefixes = {"api"} | {path.lstrip("/").split("/", 1)[0] for path in function_paths
                                  if "/" in path.lstrip("/") and not path.lstrip("/").startswith("{")}
        app.router.routes.append(Route("/{path:path}", _single_page_endpoint(index, api_prefixes),
                                          methods=["GET", "HEAD"], include_in_schema=False, name="single-page fallback"))


def _inside(real_folder, file):
    return os.path.realpath(file).startswith(real_folder + os.sep)


def _file_endpoint(file, real_folder):
    """``real_folder``: the file must resolve inside it (None: symlinks followed anywhere)."""
    def endpoint():
        if real_folder is not None and not _inside(real_folder, file):
            return JSONAnswer({"error": "not found"}, status_code=404)
        return FileAnswer(file)
    return endpoint


def _single_page_endpoint(index, api_prefixes):
    def endpoint(request: RequestType):
        last = request.url.path.rsplit("/", 1)[-1]
        # FastFN's navigation signals; an API-looking path (under /api, or under a folder of
        # functions) that no function answers stays 404, whatever the client accepts.
        accept = request.headers.get("accept", "")
        navigation = ("text/html" in accept or "*/*" in accept or request.headers.get("sec-fetch-mode") == "navigate"
                      or request.headers.get("sec-fetch-dest") == "document")
        first = request.url.path.lstrip("/").split("/", 1)[0]
        if first in api_prefixes:
            navigation = False
        if "." in last or not navigation:
            return JSONAnswer({"error": "not found"}, status_code=404)
        return FileAnswer(index)
    return endpoint
