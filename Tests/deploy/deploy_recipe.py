"""The deployment recipe's files, read the way the checks need them: the Dockerfile as
instructions by stage, the entrypoint's defaults, the manifests, and what the README and the
command's source say the health endpoint and the package location are."""
import json
import os
import re
import shlex
from dataclasses import dataclass, field

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEPLOY = os.path.join(ROOT, "deploy")
DOCKERFILE = os.path.join(DEPLOY, "Dockerfile")
ENTRYPOINT = os.path.join(DEPLOY, "entrypoint.sh")
KUBERNETES = os.path.join(DEPLOY, "kubernetes")
KNATIVE_SERVICE = os.path.join(DEPLOY, "knative", "service.yaml")
README = os.path.join(ROOT, "README.md")
RUN_COMMAND = os.path.join(ROOT, "Sources", "App", "RunCommand.swift")
PYTHON_PACKAGE = os.path.join(ROOT, "Sources", "ActorRuntime", "PythonPackage.swift")


def read(path):
    with open(path, encoding="utf-8") as file:
        return file.read()


# --- Dockerfile

@dataclass
class Instruction:
    keyword: str  # upper-case: FROM, RUN, COPY, ...
    value: str  # the rest of the instruction, continuation lines joined
    line: int

    def exec_form(self):
        """The JSON array of an exec-form instruction (ENTRYPOINT, CMD), or None."""
        try:
            parsed = json.loads(self.value)
        except ValueError:
            return None
        return parsed if isinstance(parsed, list) else None


@dataclass
class Stage:
    image: str  # as written, ARGs unexpanded
    name: str | None
    instructions: list = field(default_factory=list)

    def all(self, keyword):
        return [each for each in self.instructions if each.keyword == keyword]

    def one(self, keyword):
        found = self.all(keyword)
        assert len(found) == 1, f"expected one {keyword} in the stage FROM {self.image}, found {len(found)}"
        return found[0]


@dataclass
class Dockerfile:
    global_args: dict  # ARGs before the first FROM, with their defaults
    stages: list

    @property
    def final(self):
        return self.stages[-1]

    def resolve(self, text):
        """`${NAME}`/`$NAME` of the global ARGs replaced by their defaults."""
        return re.sub(r"\$\{?(\w+)\}?", lambda m: self.global_args.get(m.group(1), m.group(0)), text)


def parse_dockerfile(path=DOCKERFILE):
    """Instructions by stage: comment lines dropped (also inside continued lines, as Docker
    drops them), lines ending in a backslash joined to the next."""
    instructions = []
    pending, start = None, 0
    for number, raw in enumerate(read(path).splitlines(), 1):
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and pending is None):
            continue
        if pending is None:
            pending, start = "", number
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        pending += stripped
        keyword, _, value = pending.partition(" ")
        instructions.append(Instruction(keyword.upper(), value.strip(), start))
        pending = None
    assert pending is None, "the Dockerfile ends in a continued line"

    global_args, stages = {}, []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = [w for w in instruction.value.split() if not w.startswith("--")]
            name = words[2] if len(words) == 3 and words[1].lower() == "as" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            assert instruction.keyword == "ARG", f"line {instruction.line}: only ARG may come before FROM"
            name, _, default = instruction.value.partition("=")
            global_args[name] = default.strip('"')
        else:
            stages[-1].instructions.append(instruction)
    return Dockerfile(global_args, stages)


def copy_sources_and_destination(instruction):
    """(flags, sources, destination) of a COPY."""
    words = shlex.split(instruction.value)
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    return flags, rest[:-1], rest[-1]


def image_paths(dockerfile):
    """Where the image puts the `apus` command, the folder holding the `apus` package, and the
    entrypoint: the build stage installs the wheel (scripts/build-wheel.sh) into the app's venv,
    which the final stage copies whole, and the final stage copies deploy/entrypoint.sh."""
    build_runs = " ".join(each.value for stage in dockerfile.stages[:-1] for each in stage.all("RUN"))
    venv = re.search(r"/usr/bin/python3\.11 -m venv (\S+)", build_runs)
    assert venv, "the build stage no longer makes the app's venv from python3.11"
    venv = venv.group(1)
    assert re.search(r"scripts/build-wheel\.sh 3\.11 release", build_runs), "the build stage no longer builds the wheel"
    assert f"{venv}/bin/python -m pip install" in build_runs, "the build stage no longer installs the wheel into the venv"
    copies = [copy_sources_and_destination(each) for each in dockerfile.final.all("COPY")]
    assert ([venv], venv) in [(sources, destination) for flags, sources, destination in copies
                              if "--from=build" in flags], "the final stage no longer copies the venv"
    entrypoints = [destination for _, sources, destination in copies if sources == ["deploy/entrypoint.sh"]]
    assert len(entrypoints) == 1, "the final stage copies deploy/entrypoint.sh once"
    return {"venv": venv, "binary": f"{venv}/bin/apus", "package_parent": f"{venv}/lib/python3.11/site-packages",
            "entrypoint": entrypoints[0]}


# --- entrypoint

def entrypoint_defaults(path=ENTRYPOINT):
    """The `${NAME:-default}` expansions of the entrypoint's apus command line."""
    return dict(re.findall(r"\$\{(\w+):-([^}]*)\}", read(path)))


# --- manifests

def load_documents(path):
    with open(path, encoding="utf-8") as file:
        return [doc for doc in yaml.safe_load_all(file) if doc]


def kubernetes_documents():
    """(file name, document) of every manifest under deploy/kubernetes."""
    found = []
    for name in sorted(os.listdir(KUBERNETES)):
        if name.endswith((".yaml", ".yml")):
            found.extend((name, doc) for doc in load_documents(os.path.join(KUBERNETES, name)))
    return found


def kubernetes_object(kind):
    matches = [doc for _, doc in kubernetes_documents() if doc.get("kind") == kind]
    assert len(matches) == 1, f"expected one {kind} under deploy/kubernetes, found {len(matches)}"
    return matches[0]


def option(args, name):
    """The value of `--name VALUE` or `--name=VALUE` in an argument list (the last one wins)."""
    value = None
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            value = args[index + 1]
        elif arg.startswith(name + "="):
            value = arg.split("=", 1)[1]
    return value


def container_setting(container, flag, variable):
    """What the entrypoint would pass for `flag`: the container's own argument, else its
    environment variable, else the entrypoint's default."""
    from_args = option([str(a) for a in container.get("args", [])], flag)
    if from_args is not None:
        return from_args
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    if env.get(variable):
        return env[variable]
    return entrypoint_defaults()[variable]


# --- what the project documents and implements

def readme_health_paths():
    """{'live': path, 'ready': path, 'base': path} as the README's health section lists them:
    the bullet naming the liveness probe, the one naming the readiness probe, and the one with
    both in one object."""
    text = read(README)
    section = text[text.index("Health probes are answered"):]
    section = section[:section.index("\n## ")]
    bullets = re.findall(r"^- `(/[^`]+)`:(.*?)(?=^- |\Z)", section, re.M | re.S)
    paths = {}
    for path, description in bullets:
        description = " ".join(description.split())
        if "liveness probe" in description:
            paths["live"] = path
        elif "readiness probe" in description:
            paths["ready"] = path
        elif "both in one object" in description:
            paths["base"] = path
    assert set(paths) == {"live", "ready", "base"}, f"the README's health bullets changed: {bullets}"
    return paths


def default_health_path():
    """`--health-path`'s default in the command's source."""
    match = re.search(r'var healthPath = "([^"]+)"', read(RUN_COMMAND))
    assert match, "RunCommand.swift no longer declares `var healthPath = \"...\"`"
    return match.group(1)


def installed_package_rule():
    """Whether the binary looks for its package in the site-packages of the venv it is installed
    in (`<venv>/bin/apus` → `<venv>/lib/pythonX.Y/site-packages`), as PythonPackage.swift says."""
    return '"/lib/python\\(PythonInterpreter.embeddedVersion)/site-packages"' in read(PYTHON_PACKAGE)
