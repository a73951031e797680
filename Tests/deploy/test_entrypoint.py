"""The image's start, without Docker: deploy/entrypoint.sh run with a stand-in `apus` that
records its argv (and, with the wheel installed into the checks' venv as the image installs it
into the app's, with the real one, serving and draining as the image's user); and the
Dockerfile's instructions read line by line for what the image must be."""
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

import pytest

from deploy_recipe import (
    DEPLOY, ENTRYPOINT, copy_sources_and_destination, entrypoint_defaults, image_paths,
    installed_package_rule, parse_dockerfile, readme_health_paths,
)

IMAGE_UID = 10001
SETPRIV = shutil.which("setpriv")
UNSHARE = shutil.which("unshare")
FAKE_APUS = """#!/bin/sh
# Records how it was started: its pid, then its arguments, NUL-separated.
{ printf '%s\\0' "$$"; printf '%s\\0' "$@"; } > "$APUS_ARGV_FILE"
"""
ENTRYPOINT_VARIABLES = ("APUS_APP", "PORT", "APUS_WORKERS", "APUS_GRACEFUL_TIMEOUT")


@pytest.fixture
def sandbox():
    """A folder the image's user can reach (pytest's tmp_path is root's alone): the
    entrypoint, a bin folder with the stand-in apus, and a place for its record."""
    folder = tempfile.mkdtemp(prefix="apus-entrypoint-")
    os.chmod(folder, 0o777)
    bin_folder = os.path.join(folder, "bin")
    os.mkdir(bin_folder)
    os.chmod(bin_folder, 0o755)
    shutil.copy(ENTRYPOINT, os.path.join(bin_folder, "apus-entrypoint"))
    with open(os.path.join(bin_folder, "apus"), "w") as file:
        file.write(FAKE_APUS)
    for name in ("apus", "apus-entrypoint"):
        os.chmod(os.path.join(bin_folder, name), 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_user(uid):
    """The command prefix that runs as `uid` (with the same gid), from whoever runs the tests.
    Not root, the tests run the non-root cases as themselves."""
    if os.geteuid() == uid or (uid != 0 and os.geteuid() != 0):
        return []
    if uid == 0:
        # Root in a user namespace of one's own: `id -u` says 0, as it would in a container.
        if not UNSHARE or subprocess.run([UNSHARE, "--map-root-user", "true"]).returncode != 0:
            pytest.skip("cannot appear as root here (no user namespaces)")
        return [UNSHARE, "--map-root-user"]
    if not SETPRIV:
        pytest.skip("setpriv (util-linux) is not installed")
    return [SETPRIV, f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]


def run_entrypoint(sandbox, *args, env=None, uid=IMAGE_UID):
    """Runs the entrypoint as `uid` with a clean environment plus `env`; returns the process,
    the stand-in's pid and its argv (None when it did not run)."""
    record = os.path.join(sandbox, "argv")
    if os.path.exists(record):
        os.remove(record)
    environment = {"PATH": os.path.join(sandbox, "bin") + ":/usr/bin:/bin", "APUS_ARGV_FILE": record}
    environment.update(env or {})
    process = subprocess.run(as_user(uid) + [os.path.join(sandbox, "bin", "apus-entrypoint"), *args],
                             env=environment, capture_output=True, text=True, timeout=30)
    if not os.path.exists(record):
        return process, None, None
    with open(record, "rb") as file:
        fields = file.read().decode().split("\0")[:-1]
    return process, int(fields[0]), fields[1:]


def expected_argv(app="main:app", port="8000", workers="1", graceful="25", extra=()):
    return ["run", app, "--host", "0.0.0.0", "--port", port, "--workers", workers,
            "--graceful-timeout", graceful, *extra]


def test_defaults(sandbox):
    process, _, argv = run_entrypoint(sandbox)
    assert process.returncode == 0, process.stderr
    assert argv == expected_argv()


def test_defaults_are_the_documented_ones():
    assert entrypoint_defaults() == {"APUS_APP": "main:app", "PORT": "8000", "APUS_WORKERS": "1",
                                     "APUS_GRACEFUL_TIMEOUT": "25"}


def test_environment_overrides(sandbox):
    env = {"APUS_APP": "functions", "PORT": "9000", "APUS_WORKERS": "4", "APUS_GRACEFUL_TIMEOUT": "7.5"}
    process, _, argv = run_entrypoint(sandbox, env=env)
    assert process.returncode == 0, process.stderr
    assert argv == expected_argv("functions", "9000", "4", "7.5")


def test_empty_variables_mean_the_defaults(sandbox):
    process, _, argv = run_entrypoint(sandbox, env={name: "" for name in ENTRYPOINT_VARIABLES})
    assert process.returncode == 0, process.stderr
    assert argv == expected_argv()


def test_arguments_are_appended_unchanged(sandbox):
    extra = ["--log-level", "debug", "--health-path", "/a path/with spaces", "", "--no-access-log", "*"]
    process, _, argv = run_entrypoint(sandbox, *extra, env={"PORT": "8080"})
    assert process.returncode == 0, process.stderr
    assert argv == expected_argv(port="8080", extra=extra)


def test_apus_replaces_the_shell(sandbox):
    """exec: the pid the container runtime signals is apus's own, with no shell in between to
    swallow SIGTERM (setpriv and unshare exec too)."""
    record = os.path.join(sandbox, "argv")
    environment = {"PATH": os.path.join(sandbox, "bin") + ":/usr/bin:/bin", "APUS_ARGV_FILE": record}
    process = subprocess.Popen(as_user(IMAGE_UID) + [os.path.join(sandbox, "bin", "apus-entrypoint")],
                               env=environment)
    assert process.wait(30) == 0
    with open(record, "rb") as file:
        assert int(file.read().split(b"\0")[0]) == process.pid


def test_refuses_root(sandbox):
    process, _, argv = run_entrypoint(sandbox, uid=0)
    assert process.returncode != 0
    assert argv is None, "apus ran as root"
    assert "refusing to run as root" in process.stderr
    assert str(IMAGE_UID) in process.stderr, "the message says which user the image expects"


def test_is_posix_sh_and_executable():
    with open(ENTRYPOINT) as file:
        assert file.readline().strip() == "#!/bin/sh"
    assert os.access(ENTRYPOINT, os.X_OK), "deploy/entrypoint.sh is not executable"
    for shell in ("sh", "dash", "busybox"):
        path = shutil.which(shell)
        if path:
            command = [path, "sh", "-n", ENTRYPOINT] if shell == "busybox" else [path, "-n", ENTRYPOINT]
            assert subprocess.run(command).returncode == 0, f"{shell} -n"
    assert "bash" not in open(ENTRYPOINT).read().split("\n", 1)[1], "no bash in a POSIX sh script"


# --- the Dockerfile

DOCKERFILE = parse_dockerfile()
FINAL = DOCKERFILE.final


def test_multi_stage_with_a_slim_final_image():
    assert len(DOCKERFILE.stages) >= 2
    build_stages = [stage.name for stage in DOCKERFILE.stages[:-1]]
    assert all(build_stages), "every build stage is named, for COPY --from"
    assert DOCKERFILE.resolve(FINAL.image) == "debian:bookworm-slim"
    for stage in DOCKERFILE.stages[:-1]:
        image = DOCKERFILE.resolve(stage.image)
        assert image == "scratch" or "bookworm" in image, f"{image}: build on the final image's Debian"
    copied_from = {re.search(r"--from=(\S+)", each.value).group(1)
                   for each in FINAL.all("COPY") if "--from=" in each.value}
    assert copied_from and copied_from <= set(build_stages)


def test_runs_as_a_numeric_non_root_user():
    user = FINAL.one("USER").value
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) == IMAGE_UID, f"USER {user}"
    assert not gid or gid.isdigit() and int(gid) != 0
    # The user exists in the image (a name for `id`, a home), with that uid.
    runs = " ".join(each.value for each in FINAL.all("RUN"))
    assert re.search(rf"useradd\b[^&;]*--uid {IMAGE_UID}\b", runs)
    assert FINAL.instructions.index(FINAL.one("USER")) > max(FINAL.instructions.index(r) for r in FINAL.all("RUN"))


def test_stops_with_sigterm():
    assert FINAL.one("STOPSIGNAL").value == "SIGTERM"


def test_healthcheck_probes_liveness_with_what_the_image_has():
    healthcheck = FINAL.one("HEALTHCHECK").value
    command = json.loads(healthcheck[healthcheck.index("CMD") + 3:].strip())
    assert command[0] == "/usr/bin/python3.11"
    assert "python3.11" in runtime_packages()
    assert readme_health_paths()["live"] in command[-1]
    assert "PORT" in command[-1] and entrypoint_defaults()["PORT"] in command[-1]


def test_exposes_the_default_port():
    assert FINAL.one("EXPOSE").value.split() in ([entrypoint_defaults()["PORT"]], [entrypoint_defaults()["PORT"] + "/tcp"])


def test_entrypoint_is_the_script():
    entrypoint = FINAL.one("ENTRYPOINT").exec_form()
    assert entrypoint and len(entrypoint) == 1, "exec form: the script is PID 1, then apus is"
    copies = [copy_sources_and_destination(each) for each in FINAL.all("COPY")]
    script = [(flags, destination) for flags, sources, destination in copies if sources == ["deploy/entrypoint.sh"]]
    assert len(script) == 1
    flags, destination = script[0]
    assert destination == entrypoint[0]
    assert "--chmod=0755" in flags or "--chmod=755" in flags
    assert not FINAL.all("CMD"), "arguments to the container are the entrypoint's extra flags"


def test_venv_is_the_one_apus_uses():
    env = " ".join(each.value for each in FINAL.all("ENV"))
    venv = re.search(r"VIRTUAL_ENV=(\S+)", env).group(1)
    assert re.search(rf"PATH={re.escape(venv)}/bin:\$PATH", env)
    destinations = [copy_sources_and_destination(each)[2] for each in FINAL.all("COPY")]
    assert venv in destinations
    build_runs = " ".join(each.value for stage in DOCKERFILE.stages[:-1] for each in stage.all("RUN"))
    assert f"/usr/bin/python3.11 -m venv {venv}" in build_runs, "made from Debian's python3.11, at its final path"


def test_package_is_where_the_binary_looks():
    """The wheel puts the `apus` command in the venv's bin/ and the package in its
    site-packages, where PythonPackage.swift finds it from the command (the real command finds
    it so in test_serves_and_drains_as_the_image_user), and the venv's bin/ is on the PATH."""
    paths = image_paths(DOCKERFILE)
    assert installed_package_rule(), "PythonPackage.swift no longer looks in its venv's site-packages"
    assert os.path.dirname(os.path.dirname(paths["binary"])) + "/lib/python3.11/site-packages" == paths["package_parent"]
    env = " ".join(each.value for each in FINAL.all("ENV"))
    assert f"PATH={os.path.dirname(paths['binary'])}:" in env, "apus on the image's PATH"


def runtime_packages():
    for each in FINAL.all("RUN"):
        if "apt-get install" in each.value:
            words = each.value.split("apt-get install", 1)[1].split("&&")[0].split()
            return {w for w in words if not w.startswith("-") and not w.startswith("$")}
    raise AssertionError("no apt-get install in the final stage")


def built_wheel():
    """The wheel the deploy check built (`make deploy-check` sets APUS_DEPLOY_WHEEL)."""
    wheel = os.environ.get("APUS_DEPLOY_WHEEL")
    if not wheel:
        pytest.skip("no wheel (make deploy-check builds one and sets APUS_DEPLOY_WHEEL)")
    assert os.path.isfile(wheel), f"APUS_DEPLOY_WHEEL={wheel} is not a file"
    return wheel


def test_runtime_packages_cover_what_the_binary_loads(tmp_path):
    """Every shared library the wheel's command and extension load is in the wheel or belongs
    to a package the image installs."""
    if not shutil.which("dpkg") or not shutil.which("ldd"):
        pytest.skip("not a Debian system")
    with zipfile.ZipFile(built_wheel()) as wheel:
        wheel.extractall(tmp_path)
    binaries = [str(path) for path in tmp_path.glob("apus-*.data/scripts/apus")] + [str(path) for path in tmp_path.glob("apus/_apus.*.so")]
    assert len(binaries) == 2, binaries
    packages = runtime_packages()
    for binary in binaries:
        os.chmod(binary, 0o755)
        libraries = re.findall(r"=> (/\S+)", subprocess.run(["ldd", binary], capture_output=True, text=True).stdout)
        assert libraries
        for library in libraries:
            if library.startswith(str(tmp_path)):
                continue  # carried by the wheel (libuv beside the extension)
            owners = subprocess.run(["dpkg", "-S", library], capture_output=True, text=True)
            if owners.returncode != 0:  # /lib is /usr/lib on bookworm: dpkg knows one of the two
                alias = library[4:] if library.startswith("/usr/") else "/usr" + library
                owners = subprocess.run(["dpkg", "-S", alias], capture_output=True, text=True)
            assert owners.returncode == 0, f"{library} belongs to no Debian package: the image would lack it"
            names = {line.split(":")[0] for line in owners.stdout.splitlines()}
            assert names & packages, f"{binary} loads {library}, from {names}, which the image does not install"


def test_runtime_packages_are_bookworm_packages():
    """The final stage's apt-get install names packages that bookworm has (checked against this
    machine's package lists when it is a bookworm with lists)."""
    try:
        release = dict(line.split("=", 1) for line in open("/etc/os-release").read().split() if "=" in line)
    except OSError:
        release = {}
    if release.get("VERSION_CODENAME") != "bookworm" or not shutil.which("apt-cache"):
        pytest.skip("not a Debian bookworm system")
    packages = sorted(runtime_packages())
    policy = subprocess.run(["apt-cache", "policy", "libc6", *packages], capture_output=True, text=True).stdout
    candidates = dict(re.findall(r"^(\S+):\n\s+Installed: .*\n\s+Candidate: (.*)$", policy, re.M))
    if candidates.get("libc6", "(none)") == "(none)":
        pytest.skip("no package lists (apt-get update)")
    unknown = [p for p in packages if candidates.get(p, "(none)") == "(none)"]
    assert not unknown, f"bookworm has no package {unknown}"


# --- the real command, installed from the wheel as in the image, run as the image's user

def get(port, path, method="GET"):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("app,path,body", [
    ("main:app", "/items/3?q=x", {"item_id": 3, "q": "x"}),
    ("functions", "/hello?name=apus", {"hello": "apus"}),
])
def test_serves_and_drains_as_the_image_user(app, path, body):
    built_wheel()
    # The venv these tests run in: made from python3.11 with the example app's requirements and
    # the wheel installed (make deploy-check), as the image's is.
    venv = sys.prefix
    if venv == sys.base_prefix or importlib.util.find_spec("fastapi") is None:
        pytest.skip("not run from scripts/venv-deploy.sh's venv")
    apus = os.path.join(venv, "bin", "apus")
    assert os.access(apus, os.X_OK), "the wheel is not installed in this venv (make deploy-check installs it)"
    folder = tempfile.mkdtemp(prefix="apus-image-")
    os.chmod(folder, 0o755)
    try:
        entrypoint = os.path.join(folder, "apus-entrypoint")
        shutil.copy(ENTRYPOINT, entrypoint)
        os.chmod(entrypoint, 0o755)  # COPY --chmod=0755
        environment = {
            "PATH": f"{venv}/bin:/usr/bin:/bin", "VIRTUAL_ENV": venv, "LANG": "C.UTF-8",
            "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "APUS_APP": app, "PORT": "0", "APUS_GRACEFUL_TIMEOUT": "5",
        }
        process = subprocess.Popen(as_user(IMAGE_UID) + [entrypoint, "--no-access-log"],
                                   cwd=os.path.join(DEPLOY, "example"), env=environment,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines, announced = [], threading.Event()
        port = []

        def pump():
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                match = re.search(r"running on http://\S+:(\d+)", line)
                if match and not port:
                    port.append(int(match.group(1)))
                    announced.set()
            announced.set()

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        try:
            assert announced.wait(30) and port, "apus did not start:\n" + "\n".join(lines)
            assert os.path.realpath(f"/proc/{process.pid}/exe") == apus
            paths = readme_health_paths()
            assert get(port[0], paths["live"]) == (200, b'{"status":"ok"}')
            deadline = time.monotonic() + 20
            while get(port[0], paths["ready"])[0] != 200 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert get(port[0], paths["ready"]) == (200, b'{"status":"ready"}')
            status, content = get(port[0], path)
            assert (status, json.loads(content)) == (200, body)
            # The image's HEALTHCHECK, as Docker would run it.
            healthcheck = FINAL.one("HEALTHCHECK").value
            command = json.loads(healthcheck[healthcheck.index("CMD") + 3:].strip())
            assert subprocess.run(command, env={"PORT": str(port[0])}, timeout=10).returncode == 0
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0, "\n".join(lines)
            reader.join(5)
            assert subprocess.run(command, env={"PORT": str(port[0])}, capture_output=True,
                                  timeout=10).returncode != 0, "the health check passes with no server"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
