"""A function's own dependencies, installed at start-up or on a reload, never on the request
path, with a line of progress each:

- ``requirements.txt`` beside a Python function: ``pip install --target .deps`` (the folder's
  ``.deps`` is then first on the import path);
- ``package.json`` beside a Node function: ``npm install`` in its folder.

An install is repeated only when its file changed (a stamp of its hash is kept). A failure (no
network, no npm) is reported for that function alone; the rest of the tree serves."""
import hashlib
import os
import shutil
import subprocess
import sys

STAMP = ".apus-installed"


def install(specs, report):
    """Installs what the functions of ``specs`` need; ``report`` gets each error (str)."""
    done = set()
    for spec in specs:
        folder = spec.folder
        if spec.runtime == "python" and (folder, "pip") not in done:
            done.add((folder, "pip"))
            _install(folder, "requirements.txt", os.path.join(folder, ".deps"), _pip, report)
        elif spec.runtime == "node" and (folder, "npm") not in done:
            done.add((folder, "npm"))
            _install(folder, "package.json", os.path.join(folder, "node_modules"), _npm, report)


def _install(folder, manifest, target, command, report):
    path = os.path.join(folder, manifest)
    if not os.path.isfile(path) or is_installed(path, target):
        return
    with open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    stamp = os.path.join(target, STAMP)
    print(f"INFO:     installing {path} ...", file=sys.stderr, flush=True)
    argv = command(folder, target)
    if argv is None:
        report(f"{path}: cannot install: {'npm' if manifest == 'package.json' else 'pip'} is not available")
        return
    result = subprocess.run(argv, cwd=folder, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
        report(f"{path}: the install failed:\n{tail}")
        return
    os.makedirs(target, exist_ok=True)
    with open(stamp, "w") as file:
        file.write(digest)
    print(f"INFO:     installed {path}", file=sys.stderr, flush=True)


def is_installed(path, target):
    """Whether the dependencies ``path`` lists are installed in ``target``, as they are now
    (its stamp holds the hash of the file that was installed)."""
    with open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()
    try:
        with open(os.path.join(target, STAMP)) as file:
            return file.read().strip() == digest
    except OSError:
        return False


def _pip(folder, target):
    return [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--upgrade",
            "--target", target, "-r", "requirements.txt"]


def _npm(folder, target):
    npm = shutil.which("npm")
    return None if npm is None else [npm, "install", "--no-audit", "--no-fund"]
