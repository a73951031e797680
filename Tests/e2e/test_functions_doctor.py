"""``apus doctor [DIR]``: one line per finding, ``--json``, exit status 1 on a failure."""
import json
import os
import subprocess

from conftest import APUS_BIN, PROJECT_VENV
from functions_support import write_tree


def doctor(directory, *args, env=None):
    environment = {**os.environ, "VIRTUAL_ENV": PROJECT_VENV, **(env or {})}
    return subprocess.run([APUS_BIN, "doctor", str(directory), *args], capture_output=True, text=True, timeout=120,
                          env=environment)


def findings(result):
    return [line for line in result.stdout.splitlines() if line.startswith("[")]


def test_a_sound_tree_passes(tmp_path):
    write_tree(tmp_path, {
        "hello.py": "def handler(event):\n    return 'hi'\n",
        "node/greet/handler.js": "exports.handler = async () => ({});\n",
        "tick/fn.config.json": json.dumps({"schedule": {"enabled": True, "every_seconds": 60}}),
        "tick/get.py": "def handler(event):\n    return {}\n",
    })
    result = doctor(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = findings(result)
    assert "[OK] project.discovery: 4 routes from 3 files" in lines
    assert "[OK] config.schedule: 1 schedules: GET /tick" in lines
    assert any(line.startswith("[OK] runtime.python: Python 3.") and "FastAPI" in line for line in lines)
    assert any(line.startswith("[OK] runtime.node: v") for line in lines)
    assert "[OK] function.load: 2 Python functions import and have their handler" in lines
    assert result.stdout.splitlines()[-1] == f"Summary: OK={len(lines)} WARN=0 FAIL=0"


def test_each_kind_of_problem_is_one_line(tmp_path):
    write_tree(tmp_path, {
        "a.py": "def handler(event):\n    return 1\n",
        "a.js": "exports.handler = async () => 1;\n",
        "broken/get.py": "def handler(event)\n    return 1\n",
        "nohandler/get.py": "def other(event):\n    return 1\n",
        "deps/handler.py": "def handler(event):\n    return 1\n",
        "deps/requirements.txt": "six\n",
        "deps/util.py": "X = 1\n",
        "web/index.ts": "export const handler = () => 1;\n",
        "php/hi/handler.php": "<?php function handler($event) { return 'hi'; }\n",
        "deep/a/b/c/d/e/f/g/x.py": "def handler(event):\n    return 1\n",
    })
    result = doctor(tmp_path, env={"PATH": os.path.dirname(PROJECT_VENV + "/bin/python")})  # no php on this PATH
    assert result.returncode == 1
    lines = findings(result)
    assert "[WARN] routing.conflict: GET /a: a.js and a.py (answered 409)" in lines
    assert any(line.startswith("[FAIL] function.load: broken/get.py: ") and "SyntaxError" in line for line in lines)
    assert any(line.startswith("[FAIL] function.load: nohandler/get.py") for line in lines)
    assert "[WARN] deps: deps/requirements.txt: not installed yet (pip installs it when the tree loads)" in lines
    assert ("[WARN] files.language: web/index.ts: TypeScript is not a functions language here (python, node, php, go, "
            "rust); not served") in lines
    assert "[FAIL] runtime.php: php is not installed: 2 routes answer 503" in lines
    assert any(line.startswith("[WARN] discovery: ") and "deeper than 6 folders" in line for line in lines)
    assert any(line.startswith("[OK] files.private: 2 files are no route") and "deps/util.py" in line for line in lines)
    assert "hint: apt install php-cli (scripts/setup.sh installs it)" in result.stdout


def test_a_broken_config_and_json_output(tmp_path):
    write_tree(tmp_path, {
        "hello.py": "def handler(event):\n    return 1\n",
        "jobs/fn.config.json": json.dumps({"schedule": {"enabled": True, "cron": "61 * * * *"}}),
        "jobs/get.py": "def handler(event):\n    return 1\n",
    })
    result = doctor(tmp_path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["summary"] == {"ok": 0, "warn": 0, "fail": 1}
    [check] = report["checks"]
    assert check["id"] == "config" and check["status"] == "FAIL"
    assert check["message"].endswith("jobs/fn.config.json: schedule: cron minute: '61' is not in 0-59")
    assert doctor(tmp_path / "nowhere").returncode == 1
