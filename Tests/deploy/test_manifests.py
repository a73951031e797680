"""The manifests of deploy/: each Kubernetes object against the API's own schema (strict: an
unknown or misspelt field fails), the Knative Service against what Knative accepts, and the
numbers the pieces must agree on (health paths, ports, the shutdown budget, the user).
Offline: kubernetes-validate carries the schemas (scripts/venv-deploy.sh)."""
import copy
import os
import re

import jsonschema
import kubernetes_validate
import pytest

from deploy_recipe import (
    KNATIVE_SERVICE, KUBERNETES, ROOT, container_setting, default_health_path, entrypoint_defaults,
    kubernetes_documents, kubernetes_object, load_documents, option, parse_dockerfile,
    readme_health_paths,
)

# The oldest Kubernetes the manifests are meant for (autoscaling/v2 and policy/v1 are GA well
# before it) and the newest the pinned kubernetes-validate knows.
KUBERNETES_VERSIONS = ["1.30", "1.37"]

DOCUMENTS = kubernetes_documents()
API_OBJECTS = [(name, doc) for name, doc in DOCUMENTS if doc.get("kind") != "Kustomization"]


def validate_strictly(document, version):
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        path = ".".join(str(part) for part in error.path)
        pytest.fail(f"{document['kind']}/{document['metadata']['name']} at {path}: {error.message}")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name,document", API_OBJECTS, ids=[f"{n}:{d['kind']}" for n, d in API_OBJECTS])
def test_kubernetes_objects_match_the_api_schema(name, document, version):
    validate_strictly(document, version)


def test_every_kind_is_there_once():
    kinds = sorted(doc["kind"] for _, doc in DOCUMENTS)
    assert kinds == sorted(["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                            "Kustomization"])
    versions = {doc["kind"]: doc["apiVersion"] for _, doc in DOCUMENTS}
    assert versions["HorizontalPodAutoscaler"] == "autoscaling/v2"
    assert versions["PodDisruptionBudget"] == "policy/v1"


def test_kustomization_lists_every_manifest():
    kustomization = kubernetes_object("Kustomization")
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    files = sorted(n for n in os.listdir(KUBERNETES) if n.endswith((".yaml", ".yml")) and n != "kustomization.yaml")
    assert sorted(kustomization["resources"]) == files


# --- one app, one set of names and labels

def pod_template():
    return kubernetes_object("Deployment")["spec"]["template"]


def app_container():
    containers = pod_template()["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_names_and_labels_agree():
    deployment = kubernetes_object("Deployment")
    name = deployment["metadata"]["name"]
    for _, doc in API_OBJECTS:
        assert doc["metadata"]["name"] == name
        assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == name
    pod_labels = pod_template()["metadata"]["labels"]
    for selector in (deployment["spec"]["selector"]["matchLabels"],
                     kubernetes_object("PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
                     kubernetes_object("Service")["spec"]["selector"]):
        assert selector and selector.items() <= pod_labels.items(), f"{selector} does not select the pods"
    target = kubernetes_object("HorizontalPodAutoscaler")["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == ("apps/v1", "Deployment", name)


def test_disruption_budget_lets_a_drain_proceed():
    hpa = kubernetes_object("HorizontalPodAutoscaler")["spec"]
    pdb = kubernetes_object("PodDisruptionBudget")["spec"]
    assert hpa["minReplicas"] >= 2, "one replica is an outage at every rollout and drain"
    if "maxUnavailable" in pdb:
        assert isinstance(pdb["maxUnavailable"], int) and pdb["maxUnavailable"] >= 1
    else:
        assert isinstance(pdb["minAvailable"], int) and pdb["minAvailable"] < hpa["minReplicas"]
    metrics = hpa["metrics"]
    assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in metrics)
    assert hpa["maxReplicas"] >= hpa["minReplicas"]


# --- health paths: the README's, the command's default, the manifests' and the image's

def health_paths_for(container):
    """live and ready as the server answers them in this container: its arguments, else the
    APUS_<NAME> variables apus reads for any option, else the command's default."""
    args = [str(a) for a in container.get("args", [])]
    env = {e["name"]: str(e.get("value", "")) for e in container.get("env", [])}
    disabled = env.get("APUS_HEALTH", "").lower() in ("0", "false", "no", "off")
    assert "--no-health" not in args and (not disabled or "--health" in args), "probes need the health endpoint"
    base = option(args, "--health-path") or env.get("APUS_HEALTH_PATH") or default_health_path()
    return {"live": base + "/live", "ready": base + "/ready"}


def test_readme_documents_the_command_default():
    documented = readme_health_paths()
    base = default_health_path()
    assert documented == {"base": base, "live": base + "/live", "ready": base + "/ready"}


def test_deployment_probes_use_the_documented_paths():
    container = app_container()
    paths = health_paths_for(container)
    if paths["live"] == default_health_path() + "/live":
        documented = readme_health_paths()
        assert paths == {"live": documented["live"], "ready": documented["ready"]}
    assert container["livenessProbe"]["httpGet"]["path"] == paths["live"]
    assert container["readinessProbe"]["httpGet"]["path"] == paths["ready"]
    # A startup probe on readiness would restart a functions tree whose pools warm slowly as
    # well as a stuck app; on liveness it waits for the port only.
    assert container["startupProbe"]["httpGet"]["path"] in (paths["live"], paths["ready"])


def test_knative_readiness_uses_the_documented_path():
    container = knative_container()
    paths = health_paths_for(container)
    assert container["readinessProbe"]["httpGet"]["path"] == paths["ready"] == readme_health_paths()["ready"]
    if "livenessProbe" in container:
        assert container["livenessProbe"]["httpGet"]["path"] == paths["live"]


def test_image_healthcheck_uses_the_documented_liveness_path():
    healthcheck = parse_dockerfile().final.one("HEALTHCHECK").value
    assert readme_health_paths()["live"] in healthcheck


# --- ports: the server's, the container's, the probes', the Service's, the image's

def test_ports_agree():
    container = app_container()
    port = int(container_setting(container, "--port", "PORT"))
    declared = container["ports"]
    assert len(declared) == 1 and declared[0]["containerPort"] == port
    port_name = declared[0].get("name")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in (port, port_name), probe
    service_ports = kubernetes_object("Service")["spec"]["ports"]
    assert len(service_ports) == 1
    assert service_ports[0]["targetPort"] in (port, port_name)
    exposed = parse_dockerfile().final.one("EXPOSE").value.split()
    assert exposed == [str(port)] or exposed == [f"{port}/tcp"]


# --- shutdown: preStop, then SIGTERM and the graceful timeout, within the grace period

def prestop_seconds(container):
    prestop = container["lifecycle"]["preStop"]
    if "sleep" in prestop:
        return int(prestop["sleep"]["seconds"])
    command = prestop["exec"]["command"]
    assert os.path.basename(command[0]) == "sleep" and len(command) == 2, command
    return float(command[1])


def test_grace_period_covers_prestop_and_graceful_timeout():
    container = app_container()
    grace = pod_template()["spec"]["terminationGracePeriodSeconds"]
    sleep = prestop_seconds(container)
    graceful = float(container_setting(container, "--graceful-timeout", "APUS_GRACEFUL_TIMEOUT"))
    assert sleep > 0, "without a preStop pause, requests routed during endpoint removal are refused"
    assert grace > sleep + graceful, f"terminationGracePeriodSeconds {grace} <= preStop {sleep} + graceful {graceful}"


# --- the user and the file system

def image_uid():
    user = parse_dockerfile().final.one("USER").value
    uid = user.split(":")[0]
    assert uid.isdigit(), f"USER {user} is not numeric: Kubernetes cannot check runAsNonRoot against a name"
    return int(uid)


def effective(container, pod, key):
    return container.get("securityContext", {}).get(key, pod.get("securityContext", {}).get(key))


def test_deployment_runs_as_the_image_user():
    pod = pod_template()["spec"]
    container = app_container()
    assert effective(container, pod, "runAsNonRoot") is True
    assert effective(container, pod, "runAsUser") == image_uid() != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]


def test_read_only_root_has_a_writable_tmp():
    pod = pod_template()["spec"]
    container = app_container()
    if not container["securityContext"].get("readOnlyRootFilesystem"):
        pytest.skip("the root file system is writable")
    mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
    assert "/tmp" in mounts, "Python's tempfile needs a writable /tmp"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")
FACTORS = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
           "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}


def quantity(value):
    match = QUANTITY.match(str(value))
    assert match, f"unexpected quantity {value!r}"
    return float(match.group(1)) * FACTORS[match.group(2)]


def test_resources_are_requested_and_limited():
    resources = app_container()["resources"]
    for resource in ("cpu", "memory"):
        assert resource in resources["requests"], f"no {resource} request: the HPA's utilization needs it"
    assert "memory" in resources["limits"]
    for resource, limit in resources["limits"].items():
        assert quantity(resources["requests"][resource]) <= quantity(limit), resource


# --- Knative

KNATIVE_RESERVED_ENV = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION"}
KNATIVE_RESERVED_PORTS = {8012, 8013, 8022, 9090, 9091}
# The container fields Knative Serving accepts (others are refused, or behind feature flags).
KNATIVE_CONTAINER_FIELDS = [
    "args", "command", "env", "envFrom", "image", "imagePullPolicy", "livenessProbe", "name", "ports",
    "readinessProbe", "resources", "securityContext", "startupProbe", "terminationMessagePath",
    "terminationMessagePolicy", "volumeMounts", "workingDir",
]
HTTP_PROBE = {
    "type": "object",
    "required": ["httpGet"],
    "properties": {
        "httpGet": {
            "type": "object",
            "required": ["path"],
            "properties": {"path": {"type": "string", "pattern": "^/"}, "port": {"type": ["integer", "string"]}},
        },
        "periodSeconds": {"type": "integer", "minimum": 0},
        "timeoutSeconds": {"type": "integer", "minimum": 0},
        "failureThreshold": {"type": "integer", "minimum": 1},
        "successThreshold": {"type": "integer", "minimum": 1},
        "initialDelaySeconds": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": False,
}
# What a serving.knative.dev/v1 Service must have, and the shape of what this one uses, after
# Knative's published schema and its validation rules.
KNATIVE_SERVICE_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "serving.knative.dev/v1"},
        "kind": {"const": "Service"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {
                # A DNS-1035 label: it becomes part of the service's host name.
                "name": {"type": "string", "pattern": "^[a-z]([-a-z0-9]*[a-z0-9])?$", "maxLength": 63},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "spec": {
            "type": "object",
            "required": ["template"],
            "properties": {
                "template": {
                    "type": "object",
                    "required": ["spec"],
                    "properties": {
                        "metadata": {
                            "type": "object",
                            "properties": {
                                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
                            },
                        },
                        "spec": {
                            "type": "object",
                            "required": ["containers"],
                            "properties": {
                                "containerConcurrency": {"type": "integer", "minimum": 0, "maximum": 1000},
                                "timeoutSeconds": {"type": "integer", "minimum": 1, "maximum": 600},
                                "containers": {
                                    "type": "array",
                                    "minItems": 1,
                                    "items": {
                                        "type": "object",
                                        "required": ["image"],
                                        "propertyNames": {"enum": KNATIVE_CONTAINER_FIELDS},
                                        "properties": {
                                            "image": {"type": "string", "minLength": 1},
                                            "ports": {
                                                "type": "array",
                                                "maxItems": 1,
                                                "items": {
                                                    "type": "object",
                                                    "properties": {
                                                        "name": {"enum": ["http1", "h2c"]},
                                                        "containerPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                                                    },
                                                },
                                            },
                                            "readinessProbe": HTTP_PROBE,
                                            "livenessProbe": HTTP_PROBE,
                                        },
                                    },
                                },
                            },
                        },
                    },
                },
            },
        },
    },
}


def knative_service():
    documents = load_documents(KNATIVE_SERVICE)
    assert len(documents) == 1
    return documents[0]


def knative_container():
    return knative_service()["spec"]["template"]["spec"]["containers"][0]


def test_knative_service_has_the_shape_knative_requires():
    service = knative_service()
    errors = sorted(jsonschema.Draft202012Validator(KNATIVE_SERVICE_SCHEMA).iter_errors(service), key=str)
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_knative_container_is_a_valid_kubernetes_container():
    """The revision's pod spec, as Knative hands it to Kubernetes (probes get the container's
    port), against the core/v1 schema: field names and types, probes' shape included."""
    template = knative_service()["spec"]["template"]
    spec = copy.deepcopy(template["spec"])
    spec.pop("containerConcurrency", None)
    spec.pop("timeoutSeconds", None)
    port = spec["containers"][0]["ports"][0]["containerPort"]
    for container in spec["containers"]:
        container.setdefault("name", "user-container")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            if probe in container:
                container[probe]["httpGet"].setdefault("port", port)
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "knative-revision"}, "spec": spec}
    for version in KUBERNETES_VERSIONS:
        validate_strictly(pod, version)


def test_knative_scales_to_zero_on_concurrency():
    template = knative_service()["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["autoscaling.knative.dev/min-scale"] == "0"
    target = float(annotations["autoscaling.knative.dev/target"])
    concurrency = template["spec"]["containerConcurrency"]
    assert target > 0
    assert concurrency == 0 or target <= concurrency, "the autoscaler's target must fit under containerConcurrency"


def test_knative_container_leaves_knatives_settings_alone():
    container = knative_container()
    names = {e["name"] for e in container.get("env", [])}
    assert not names & KNATIVE_RESERVED_ENV, f"Knative sets {names & KNATIVE_RESERVED_ENV} itself"
    port = container["ports"][0]["containerPort"]
    assert port not in KNATIVE_RESERVED_PORTS
    for probe in ("readinessProbe", "livenessProbe"):
        assert container.get(probe, {}).get("httpGet", {}).get("port", port) == port


def test_knative_serves_a_functions_tree_and_drains_in_time():
    container = knative_container()
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    app = env.get("APUS_APP") or entrypoint_defaults()["APUS_APP"]
    assert ":" not in app, f"APUS_APP={app} is an app, not a functions directory"
    # The image's default app (APP_DIR) holds that tree: it is the image's WORKDIR, /app.
    dockerfile = parse_dockerfile()
    app_stage = next(stage for stage in dockerfile.stages if stage.name == "app")
    app_dir = app_stage.one("ARG").value.partition("=")[2]
    assert os.path.isdir(os.path.join(ROOT, app_dir, app)), f"{app_dir}/{app} is not a folder"
    assert dockerfile.final.one("WORKDIR").value == "/app"
    graceful = float(container_setting(container, "--graceful-timeout", "APUS_GRACEFUL_TIMEOUT"))
    # The pod's grace period is the revision's timeout; Apus gets SIGTERM after the
    # queue-proxy's drain, so its own graceful timeout must fit well inside.
    assert knative_service()["spec"]["template"]["spec"]["timeoutSeconds"] > graceful


def test_knative_runs_as_the_image_user():
    security = knative_container()["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == image_uid()


def test_entrypoint_defaults_are_what_the_manifests_assume():
    defaults = entrypoint_defaults()
    assert set(defaults) == {"APUS_APP", "PORT", "APUS_WORKERS", "APUS_GRACEFUL_TIMEOUT"}
    assert int(defaults["PORT"]) > 0 and int(defaults["APUS_WORKERS"]) >= 1 and float(defaults["APUS_GRACEFUL_TIMEOUT"]) > 0
