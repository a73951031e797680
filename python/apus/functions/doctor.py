"""``apus doctor [DIR]``: checks a functions tree before it is served, without serving it or
installing anything. One finding per line, FastFN's statuses (``OK``, ``WARN``, ``FAIL``);
``--json`` for CI; exit status 1 when something fails.

Checked: the configuration files (as the tree's load reads them: a broken one, a schedule or a
rollout that cannot run), routing conflicts and discovery's warnings, each language's toolchain
and version, FastAPI for Python functions, each function's dependency installs, that each
Python function imports and has its handler, and files that no route serves (private helpers,
languages functions cannot be written in)."""
import datetime
import json
import os
import shutil
import subprocess
import sys

from . import rollouts, schedules
from .dependencies import is_installed
from .discovery import RUNTIMES, SKIPPED_FOLDERS, discover
from .errors import ConfigError
from .python_function import LoadError, find_handler, load_module
from .toolkit import FastAPI

TOOLCHAINS = {"node": (["node", "--version"], "nodejs"), "php": (["php", "--version"], "php-cli"),
              "go": (["go", "version"], "golang-go"), "rust": (["rustc", "-V"], "rustc")}
# Languages people write functions in that the tree does not run.
FOREIGN = {".ts": "TypeScript", ".mjs": "JavaScript modules (.mjs)", ".rb": "Ruby", ".lua": "Lua", ".java": "Java",
           ".kt": "Kotlin", ".cs": "C#", ".swift": "Swift"}


class Report:
    def __init__(self):
        self.checks = []

    def add(self, check_id, status, message, hint=None):
        entry = {"id": check_id, "status": status, "message": message}
        if hint:
            entry["hint"] = hint
        self.checks.append(entry)

    def as_json(self, directory):
        summary = {status.lower(): sum(1 for c in self.checks if c["status"] == status) for status in ("OK", "WARN", "FAIL")}
        return json.dumps({"scope": "functions", "directory": directory,
                           "generated_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                           "checks": self.checks, "summary": summary})


def check(directory):
    """The findings for the tree at ``directory``, as JSON text."""
    report = Report()
    root = os.path.abspath(directory)
    if not os.path.isdir(root):
        report.add("project.functions_dir", "FAIL", f"{directory} is not a directory")
        return report.as_json(directory)
    try:
        found = discover(root)
    except ConfigError as error:
        report.add("config", "FAIL", str(error))
        return report.as_json(directory)
    files = sorted({spec.relative_file for spec in found.specs})
    report.add("project.discovery", "OK", f"{len(found.specs)} routes from {len(files)} files")
    for warning in found.warnings:
        report.add("discovery", "WARN", warning)
    for conflict in found.conflicts:
        report.add("routing.conflict", "WARN", f"{conflict} (answered 409)",
                   "keep one of them, or rename one to another route")
    for name, collect in (("config.schedule", schedules.collect), ("config.rollout", rollouts.collect)):
        try:
            planned = collect(found.specs)
            if planned:
                report.add(name, "OK", f"{len(planned)} {name.split('.')[1]}s: " + ", ".join(
                    entry.get("key") or entry["path"] for entry in planned))
        except ConfigError as error:
            report.add(name, "FAIL", str(error))
    _toolchains(found, report)
    _dependencies(found, report)
    _python_functions(found, report)
    _unserved_files(found, report)
    return report.as_json(directory)


def _toolchains(found, report):
    counts = {}
    for spec in found.specs:
        counts[spec.runtime] = counts.get(spec.runtime, 0) + 1
    if "python" in counts:
        version = sys.version.split()[0]
        if FastAPI is None:
            report.add("runtime.python", "FAIL", f"Python {version} ({sys.executable}) has no FastAPI, which the Python "
                       "functions need", "pip install fastapi, or set VIRTUAL_ENV to a venv that has it")
        else:
            import fastapi
            report.add("runtime.python", "OK", f"Python {version} ({sys.executable}), FastAPI {fastapi.__version__}")
    for language, (command, package) in TOOLCHAINS.items():
        if language not in counts:
            continue
        executable = shutil.which(command[0])
        if executable is None:
            report.add(f"runtime.{language}", "FAIL", f"{command[0]} is not installed: {counts[language]} routes answer 503",
                       f"apt install {package} (scripts/setup.sh installs it)")
            continue
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=20)
            version = (result.stdout or result.stderr).strip().splitlines()[0]
        except (OSError, subprocess.TimeoutExpired, IndexError) as error:
            report.add(f"runtime.{language}", "FAIL", f"{executable} does not run: {error}")
            continue
        report.add(f"runtime.{language}", "OK", f"{version} ({executable})")


def _dependencies(found, report):
    seen = set()
    for spec in found.specs:
        kind = {"python": ("requirements.txt", ".deps", "pip"), "node": ("package.json", "node_modules", "npm")}.get(spec.runtime)
        if kind is None or (spec.folder, kind) in seen:
            continue
        seen.add((spec.folder, kind))
        manifest, target, installer = kind
        path = os.path.join(spec.folder, manifest)
        if not os.path.isfile(path):
            continue
        relative = os.path.relpath(path, found.root)
        if installer == "npm" and shutil.which("npm") is None:
            report.add("deps", "FAIL", f"{relative}: npm is not installed, so it cannot be installed",
                       "apt install npm, or install the modules into node_modules yourself")
            continue
        current = is_installed(path, os.path.join(spec.folder, target))
        if current:
            report.add("deps", "OK", f"{relative}: installed")
        else:
            report.add("deps", "WARN", f"{relative}: not installed yet ({installer} installs it when the tree loads)")


def _python_functions(found, report):
    python = [spec for spec in found.specs if spec.runtime == "python"]
    if not python or FastAPI is None:
        return
    failed, checked = 0, set()
    for spec in python:
        if spec.file in checked:
            continue
        checked.add(spec.file)
        try:
            find_handler(load_module(spec), spec)
        except LoadError as error:
            failed += 1
            lines = [line.strip() for line in str(error).splitlines() if line.strip()]
            report.add("function.load", "FAIL", lines[0] if len(lines) < 2 else f"{lines[0]}: {lines[-1]}")
    if not failed:
        report.add("function.load", "OK", f"{len(checked)} Python functions import and have their handler")


def _unserved_files(found, report):
    served = {spec.file for spec in found.specs}
    served |= {os.path.join(found.root, file) for conflict in found.conflicts for file in conflict.files}
    private, foreign = [], []
    for folder, folders, names in os.walk(found.root):
        folders[:] = sorted(name for name in folders if not name.startswith(".") and name not in SKIPPED_FOLDERS)
        for name in sorted(names):
            path = os.path.join(folder, name)
            extension = os.path.splitext(name)[1]
            relative = os.path.relpath(path, found.root)
            if extension in FOREIGN:
                foreign.append((relative, FOREIGN[extension]))
            elif extension in RUNTIMES and path not in served and not name.startswith("_"):
                private.append(relative)
    for relative, language in foreign:
        report.add("files.language", "WARN", f"{relative}: {language} is not a functions language here (python, node, "
                   "php, go, rust); not served")
    if private:
        shown = ", ".join(private[:5]) + (f" and {len(private) - 5} more" if len(private) > 5 else "")
        count = "1 file is" if len(private) == 1 else f"{len(private)} files are"
        report.add("files.private", "OK", f"{count} no route (helpers beside an entry file, tests, or skipped): {shown}")


def text(report_json):
    """The report as lines: a header, ``[STATUS] id: message`` (and ``hint:``), a summary."""
    report = json.loads(report_json)
    lines = [f"Apus doctor ({report['directory']})"]
    for entry in report["checks"]:
        lines.append(f"[{entry['status']}] {entry['id']}: {entry['message']}")
        if entry.get("hint"):
            lines.append(f"       hint: {entry['hint']}")
    summary = report["summary"]
    lines.append(f"Summary: OK={summary['ok']} WARN={summary['warn']} FAIL={summary['fail']}")
    return "\n".join(lines) + "\n"
