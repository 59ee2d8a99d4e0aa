"""The manifest checks: every policy rule caught on a minimal bad manifest, exemptions only
when explicit, schema validation strict, and the whole `deploy/k8s/check.sh` green."""

from __future__ import annotations

import copy
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from services.common.bus.topics import ALL_TOPICS

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"k8s_{name}", K8S / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


policy = _load("policy")
validate = _load("validate")

GOOD = yaml.safe_load_all("""
apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: ns}
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: ns}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      serviceAccountName: app
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
        - name: server
          image: registry.example/app:1.2.3
          env:
            - {name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}
            - {name: DATABASE_URL, value: "postgresql://app:$(DB_PASSWORD)@db:5432/app"}
            - {name: POSTGRES_PASSWORD_FILE, value: /etc/db/password}
          readinessProbe: {grpc: {port: 50051}}
          livenessProbe: {grpc: {port: 50051}}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 256Mi}
          securityContext:
            readOnlyRootFilesystem: true
            allowPrivilegeEscalation: false
            capabilities: {drop: [ALL]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: app, namespace: ns}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: app}}
""")
GOOD = list(GOOD)


def deployment(objs):
    return next(o for o in objs if o["kind"] == "Deployment")


def container(objs):
    return deployment(objs)["spec"]["template"]["spec"]["containers"][0]


def pod(objs):
    return deployment(objs)["spec"]["template"]["spec"]


def csc(objs):
    return container(objs)["securityContext"]


def drop(mapping, key):
    mapping.pop(key)


def add(objs, text):
    objs.extend(yaml.safe_load_all(text))


def second_deployment_sharing_account(objs):
    other = copy.deepcopy(deployment(objs))
    other["metadata"]["name"] = "other"
    objs.append(other)


def serve(objs, service="review", replicas=2, database_url=True):
    """Turns the good manifest's app into a sakusei service run with `replicas` replicas."""
    deployment(objs)["spec"]["replicas"] = replicas
    container(objs).update(image="registry.example/sakusei:1.2.3", args=["serve", service])
    if not database_url:
        container(objs)["env"] = [e for e in container(objs)["env"] if e["name"] != "DATABASE_URL"]


# given: one change to the good manifest  ->  then: exactly this rule fails
CASES = [
    ("no readiness probe", lambda o: drop(container(o), "readinessProbe"), "probes"),
    ("no liveness probe", lambda o: drop(container(o), "livenessProbe"), "probes"),
    ("no cpu limit", lambda o: drop(container(o)["resources"]["limits"], "cpu"), "resources"),
    ("no memory request", lambda o: drop(container(o)["resources"]["requests"], "memory"), "resources"),
    ("init container without resources",
     lambda o: pod(o).update(initContainers=[{**copy.deepcopy(container(o)), "name": "init",
                                              "resources": {}, "readinessProbe": None}]),
     "resources"),
    ("runAsNonRoot missing", lambda o: drop(pod(o)["securityContext"], "runAsNonRoot"), "run-as-non-root"),
    ("runAsUser 0", lambda o: csc(o).update(runAsUser=0), "run-as-non-root"),
    ("writable root filesystem", lambda o: csc(o).update(readOnlyRootFilesystem=False),
     "read-only-root-filesystem"),
    ("allowPrivilegeEscalation unset", lambda o: drop(csc(o), "allowPrivilegeEscalation"),
     "no-privilege-escalation"),
    ("capabilities not dropped", lambda o: csc(o).update(capabilities={"drop": ["NET_RAW"]}),
     "drop-all-capabilities"),
    ("capability added", lambda o: csc(o)["capabilities"].update(add=["NET_ADMIN"]),
     "drop-all-capabilities"),
    ("seccomp unconfined", lambda o: pod(o)["securityContext"].update(seccompProfile={"type": "Unconfined"}),
     "seccomp"),
    ("image :latest", lambda o: container(o).update(image="registry.example/app:latest"), "image-pinned"),
    ("image without tag", lambda o: container(o).update(image="registry.example:5000/app"), "image-pinned"),
    ("default service account", lambda o: drop(pod(o), "serviceAccountName"), "own-service-account"),
    ("service account not in manifests", lambda o: o.remove(o[0]), "own-service-account"),
    ("service account shared", second_deployment_sharing_account, "own-service-account"),
    ("no PodDisruptionBudget", lambda o: o.remove(o[2]), "pod-disruption-budget"),
    ("PDB selects other pods", lambda o: o[2]["spec"].update(selector={"matchLabels": {"app": "x"}}),
     "pod-disruption-budget"),
    ("sakusei service replicated without DATABASE_URL", lambda o: serve(o, database_url=False),
     "replicated-state-needs-database"),
    ("Secret with data", lambda o: add(o, "kind: Secret\napiVersion: v1\nmetadata: {name: s}\n"
                                          "stringData: {password: hunter2}"), "no-secret-values"),
    ("literal password env", lambda o: container(o)["env"].append({"name": "DB_PASSWORD", "value": "hunter2"}),
     "no-secret-values"),
    ("secret key in a ConfigMap", lambda o: add(o, "kind: ConfigMap\napiVersion: v1\nmetadata: {name: c}\n"
                                                   "data: {AWS_SECRET_ACCESS_KEY: abcd1234}"),
     "no-secret-values"),
    ("password in a URL", lambda o: container(o)["env"][1].update(value="postgresql://app:hunter2@db/app"),
     "no-secret-values"),
    ("private key in a ConfigMap",
     lambda o: add(o, "kind: ConfigMap\napiVersion: v1\nmetadata: {name: k}\ndata:\n  key.pem: |\n"
                      "    -----BEGIN PRIVATE KEY-----\n    MC4CAQAwBQYDK2VwBCIEI\n    -----END PRIVATE KEY-----\n"),
     "no-secret-values"),
]


def rules_failing(objs) -> set[str]:
    return {v.rule for v in policy.check(objs).violations}


def test_good_manifest_passes():
    report = policy.check(copy.deepcopy(GOOD))
    assert report.violations == []
    assert (report.workloads, report.containers) == (1, 1)


def test_every_rule_has_a_case():
    assert {rule for _, _, rule in CASES} == set(policy.RULES) - {"exemption"}


@pytest.mark.parametrize("given, change, then", CASES, ids=[c[0] for c in CASES])
def test_rule_catches_violation(given, change, then):
    objs = copy.deepcopy(GOOD)
    change(objs)
    assert rules_failing(objs) == {then}


def config_map(objs, data):
    add(objs, yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                              "metadata": {"name": "app-config", "namespace": "ns"}, "data": data}))
    container(objs)["envFrom"] = [{"configMapRef": {"name": "app-config"}}]


def hpa(objs, max_replicas):
    add(objs, yaml.safe_dump({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
                              "metadata": {"name": "app", "namespace": "ns"},
                              "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                                          "name": "app"},
                                       "minReplicas": 1, "maxReplicas": max_replicas}}))


def as_statefulset(objs):
    deployment(objs)["kind"] = "StatefulSet"


# given: the good manifest turned into a sakusei service, then one change  ->  then: the rule
# replicated-state-needs-database fails or not
REPLICATED_STATE_CASES = [
    ("2 replicas, DATABASE_URL in env", lambda o: serve(o), False),
    ("1 replica, no DATABASE_URL", lambda o: serve(o, replicas=1, database_url=False), False),
    ("replicas unset (1), no DATABASE_URL", lambda o: (serve(o, database_url=False),
                                                      deployment(o)["spec"].pop("replicas")), False),
    ("2 replicas, no DATABASE_URL", lambda o: serve(o, database_url=False), True),
    ("StatefulSet, 3 replicas, no DATABASE_URL",
     lambda o: (serve(o, replicas=3, database_url=False), as_statefulset(o)), True),
    ("every service is covered", lambda o: serve(o, service="transform", database_url=False), True),
    ("1 replica but an HPA up to 4", lambda o: (serve(o, replicas=1, database_url=False), hpa(o, 4)), True),
    ("HPA up to 4, DATABASE_URL in env", lambda o: (serve(o, replicas=1), hpa(o, 4)), False),
    ("DATABASE_URL empty", lambda o: (serve(o), container(o)["env"][1].update(value="")), True),
    ("DATABASE_URL from a Secret key",
     lambda o: (serve(o), container(o)["env"][1].pop("value"),
                container(o)["env"][1].update(valueFrom={"secretKeyRef": {"name": "db", "key": "url"}})),
     False),
    ("DATABASE_URL from an optional Secret key",
     lambda o: (serve(o), container(o)["env"][1].pop("value"),
                container(o)["env"][1].update(valueFrom={"secretKeyRef": {"name": "db", "key": "url",
                                                                          "optional": True}})),
     True),
    ("envFrom a ConfigMap with DATABASE_URL",
     lambda o: (serve(o, database_url=False), config_map(o, {"DATABASE_URL": "postgresql://db/app"})), False),
    ("envFrom a ConfigMap without DATABASE_URL",
     lambda o: (serve(o, database_url=False), config_map(o, {"OTHER": "x"})), True),
    ("envFrom a ConfigMap, env empties it",
     lambda o: (serve(o, database_url=False), config_map(o, {"DATABASE_URL": "postgresql://db/app"}),
                container(o)["env"].append({"name": "DATABASE_URL", "value": ""})), True),
    ("envFrom an ops-created Secret",
     lambda o: (serve(o, database_url=False),
                container(o).update(envFrom=[{"secretRef": {"name": "app-database"}}])), False),
    ("another image run as serve review",
     lambda o: (serve(o, database_url=False), container(o).update(image="registry.example/other:1.0")), False),
    ("sakusei image not serving a service",
     lambda o: (serve(o, database_url=False), container(o).update(args=["worker"])), False),
]


@pytest.mark.parametrize("given, change, then_fails", REPLICATED_STATE_CASES,
                         ids=[c[0] for c in REPLICATED_STATE_CASES])
def test_replicated_state_needs_database(given, change, then_fails):
    objs = copy.deepcopy(GOOD)
    change(objs)
    assert rules_failing(objs) == ({"replicated-state-needs-database"} if then_fails else set())


def test_jobs_need_no_probes_but_everything_else():
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
           "spec": {"template": copy.deepcopy(deployment(GOOD)["spec"]["template"])}}
    spec = job["spec"]["template"]["spec"]
    for key in ("readinessProbe", "livenessProbe"):
        spec["containers"][0].pop(key)
    assert policy.check([job]).violations == []
    spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] = False
    assert rules_failing([job]) == {"read-only-root-filesystem"}


def exempt(objs, rules: str, reason: str | None):
    annotations = deployment(objs)["metadata"].setdefault("annotations", {})
    annotations[policy.EXEMPT_ANNOTATION] = rules
    if reason is not None:
        annotations[policy.EXEMPT_REASON_ANNOTATION] = reason


def test_exemption_with_reason_waives_only_that_rule_and_is_reported():
    objs = copy.deepcopy(GOOD)
    csc(objs)["readOnlyRootFilesystem"] = False
    exempt(objs, "read-only-root-filesystem", "vendor image writes /etc at start")
    report = policy.check(objs)
    assert report.violations == []
    assert [(e.rule, e.reason) for e in report.exemptions] == [
        ("read-only-root-filesystem", "vendor image writes /etc at start")]
    assert [v.rule for v in report.exempted] == ["read-only-root-filesystem"]

    csc(objs)["allowPrivilegeEscalation"] = True
    assert rules_failing(objs) == {"no-privilege-escalation"}


@pytest.mark.parametrize("given_rules, given_reason, then", [
    ("read-only-root-filesystem", None, {"exemption", "read-only-root-filesystem"}),
    ("read-only-root-filesystem", "  ", {"exemption", "read-only-root-filesystem"}),
    ("read-only-root-filesytem", "typo", {"exemption", "read-only-root-filesystem"}),
    ("no-secret-values", "convenient", {"exemption", "read-only-root-filesystem"}),
])
def test_exemption_must_be_explicit(given_rules, given_reason, then):
    objs = copy.deepcopy(GOOD)
    csc(objs)["readOnlyRootFilesystem"] = False
    exempt(objs, given_rules, given_reason)
    assert rules_failing(objs) == then


def test_secret_values_cannot_be_exempted():
    objs = copy.deepcopy(GOOD)
    container(objs)["env"].append({"name": "API_KEY", "value": "abc123"})
    exempt(objs, "no-secret-values", "convenient")
    assert rules_failing(objs) == {"exemption", "no-secret-values"}


@pytest.mark.parametrize("given, then", [
    ({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
      "spec": {"ports": [{"port": 80}], "selectr": {}}}, "selectr"),
    ({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}, "no schema"),
    ({"apiVersion": "kafka.strimzi.io/v1beta2", "kind": "KafkaTopic",
      "metadata": {"name": "t", "labels": {"strimzi.io/cluster": "c"}},
      "spec": {"topicName": "t", "partitions": 0, "replicas": 3}}, "minimum"),
])
def test_schema_validation_rejects(given, then):
    _, _, errors = validate.validate_objects([given], "1.33.0")
    assert len(errors) == 1 and then in errors[0]


# ---- the whole check: kustomize (installed if missing), schemas, policy -----------------

@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, list[dict]]:
    out = tmp_path_factory.mktemp("rendered")
    result = subprocess.run(["bash", str(K8S / "check.sh"), "--out", str(out)],
                            capture_output=True, text=True, env=os.environ.copy(), timeout=540)
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 combinations built" in result.stdout
    assert "skipped: none" in result.stdout
    assert result.stdout.rstrip().endswith("k8s-check: OK")
    return {p.stem: [d for d in yaml.safe_load_all(p.read_text()) if d] for p in out.glob("*.yaml")}


def test_check_builds_every_combination(rendered):
    assert sorted(rendered) == sorted(["dev", "dev+demo", "prod", "prod+tracing", "prod+demo", "prod+tracing+demo"])


def test_dev_runs_a_collector_that_receives_every_service_trace_and_metric(rendered):
    objects = rendered["dev"]
    assert any(o["kind"] == "Deployment" and o["metadata"]["name"] == "otel-collector" for o in objects)
    config = next(o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("sakusei-config"))
    assert config["data"]["OTEL_TRACES_EXPORTER"] == config["data"]["OTEL_METRICS_EXPORTER"] == "otlp"


def topics_dev(objs):
    job = next(o for o in objs if o["kind"] == "Job" and o["metadata"]["name"] == "kafka-topics")
    topics = {}
    for c in job["spec"]["template"]["spec"]["containers"]:
        args = c["args"]
        configs = dict(args[i + 1].split("=", 1) for i, a in enumerate(args) if a == "--config")
        topics[args[args.index("--topic") + 1]] = (int(args[args.index("--partitions") + 1]),
                                                   int(configs["retention.ms"]), configs["cleanup.policy"])
    return topics


def topics_prod(objs):
    return {o["spec"]["topicName"]: (o["spec"]["partitions"], int(o["spec"]["config"]["retention.ms"]),
                                     o["spec"]["config"]["cleanup.policy"])
            for o in objs if o["kind"] == "KafkaTopic"}


def test_dev_and_prod_declare_the_same_topics(rendered):
    dev, prod = topics_dev(rendered["dev"]), topics_prod(rendered["prod"])
    assert dev == prod
    three_years_ms = 3 * 365 * 24 * 3600 * 1000
    for topic in ("sakusei.audit.recorded", "sakusei.dead-letter"):
        retention = dev[topic][1]
        assert retention == -1 or retention >= three_years_ms


def test_one_project_image_everywhere(rendered):
    images = {c["image"] for objs in rendered.values() for o in objs
              for c in (policy.pod_spec(o) or {}).get("containers", [])
              if "sakusei" in c["image"].split("/")[-1].split(":")[0]}
    assert len(images) == 1, images


SERVICES = ("intake", "review", "transform", "delivery")


def services(objs) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objs
            if o["kind"] in ("Deployment", "StatefulSet")
            and o["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "service"}


def env_of(workload) -> dict[str, dict]:
    return {e["name"]: e for e in workload["spec"]["template"]["spec"]["containers"][0].get("env", [])}


def test_services_listen_on_the_pod_ip(rendered):
    for objs in rendered.values():
        config = next(o for o in objs if o["kind"] == "ConfigMap"
                      and o["metadata"]["name"].startswith("sakusei-config-"))
        assert config["data"]["SAKUSEI_GRPC_HOST"] == "0.0.0.0"


def test_dev_services_keep_sqlite_state_on_a_pvc(rendered):
    dev = services(rendered["dev"])
    assert sorted(dev) == sorted(SERVICES)
    for name, sts in dev.items():
        assert sts["kind"] == "StatefulSet" and sts["spec"]["replicas"] == 1, name
        assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == ["state"], name
        assert "DATABASE_URL" not in env_of(sts), name
        assert "state" not in {v["name"] for v in sts["spec"]["template"]["spec"]["volumes"]}, name


def test_prod_services_each_have_their_own_database(rendered):
    prod = services(rendered["prod"])
    assert sorted(prod) == sorted(SERVICES)
    for name, sts in prod.items():
        env = env_of(sts)
        assert sts["spec"]["replicas"] == 2, name
        assert env["DATABASE_URL"]["value"] == f"postgresql+psycopg://{name}@postgres:5432/{name}"
        assert env["PGPASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": f"sakusei-db-{name}", "key": "password"}
    job = next(o for o in rendered["prod"] if o["kind"] == "Job" and o["metadata"]["name"] == "postgres-setup")
    passwords = next(v for v in job["spec"]["template"]["spec"]["volumes"] if v["name"] == "passwords")
    assert {s["secret"]["name"]: s["secret"]["items"][0]["path"] for s in passwords["projected"]["sources"]} == {
        f"sakusei-db-{name}": name for name in SERVICES}


def test_prod_services_and_setup_reach_postgres(rendered):
    objs = rendered["prod"]
    policies = [o for o in objs if o["kind"] == "NetworkPolicy"]
    postgres = {"app.kubernetes.io/name": "postgres"}
    for workload in [*services(objs).values(),
                     next(o for o in objs if o["kind"] == "Job" and o["metadata"]["name"] == "postgres-setup")]:
        labels = policy.pod_labels(workload)
        egress = [rule for p in policies if policy.selector_matches(p["spec"]["podSelector"], labels)
                  for rule in p["spec"].get("egress", [])
                  if any(policy.selector_matches(peer.get("podSelector"), postgres) for peer in rule.get("to", []))
                  and {"protocol": "TCP", "port": 5432} in rule.get("ports", [])]
        ingress = [rule for p in policies if policy.selector_matches(p["spec"]["podSelector"], postgres)
                   for rule in p["spec"].get("ingress", [])
                   if any(policy.selector_matches(peer.get("podSelector"), labels) for peer in rule.get("from", []))
                   and {"protocol": "TCP", "port": 5432} in rule.get("ports", [])]
        assert egress and ingress, workload["metadata"]["name"]


def test_the_manifests_declare_every_topic_the_services_use(rendered):
    assert set(topics_dev(rendered["dev"])) == set(ALL_TOPICS)
    assert set(topics_prod(rendered["prod"])) == set(ALL_TOPICS)
