"""Policy checks on rendered Kubernetes manifests (the output of `kustomize build`).

Usage: python deploy/k8s/policy.py RENDERED.yaml [...]   (exit status 1 on any violation)

Each file is one build (one overlay with its components): ServiceAccounts and
PodDisruptionBudgets are looked up within the same file.

A rule that truly cannot apply to one object may be waived on that object only, with both
annotations, e.g. for a third-party image:
    policy.sakusei.io/exempt: read-only-root-filesystem
    policy.sakusei.io/exempt-reason: "image rewrites /etc at start; tracked in #123"
An exemption without a reason, or naming an unknown rule, is itself a violation, and
no-secret-values can never be waived. Exemptions in use are printed on every run.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from typing import Iterable, Iterator

import yaml

RULES = {
    "probes": "every long-running container has a readinessProbe and a livenessProbe",
    "resources": "every container requests and limits cpu and memory",
    "run-as-non-root": "runAsNonRoot is true and runAsUser is not 0",
    "read-only-root-filesystem": "readOnlyRootFilesystem is true",
    "no-privilege-escalation": "allowPrivilegeEscalation is false",
    "drop-all-capabilities": "capabilities drop ALL and add nothing",
    "seccomp": "seccompProfile is RuntimeDefault or Localhost",
    "image-pinned": "images carry a tag other than latest, or a digest",
    "own-service-account": "each Deployment/StatefulSet runs as its own ServiceAccount",
    "pod-disruption-budget": "each Deployment/StatefulSet is covered by a PodDisruptionBudget",
    "no-secret-values": "no secret value is written in a manifest",
    "replicated-state-needs-database": "a sakusei service (image sakusei, args serve <service>) "
                                       "run with more than one replica sets DATABASE_URL",
    "exemption": "exemptions name known rules and give a reason",
}
NOT_EXEMPTIBLE = {"no-secret-values", "exemption"}

EXEMPT_ANNOTATION = "policy.sakusei.io/exempt"
EXEMPT_REASON_ANNOTATION = "policy.sakusei.io/exempt-reason"

# Kinds that run pods, and where their pod spec lives.
POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
# Probes gate traffic and restarts of long-running pods; a Job's pod runs to completion.
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"}
# Workloads that must have their own ServiceAccount and a PodDisruptionBudget.
NEEDS_SA_AND_PDB = {"Deployment", "StatefulSet"}

# The sakusei services keep their state in SQLite in the pod's state dir unless DATABASE_URL
# names a shared database: more than one replica without it means diverging state.
SAKUSEI_IMAGE = "sakusei"
SAKUSEI_SERVICES = ("intake", "review", "transform", "delivery")
DATABASE_URL = "DATABASE_URL"
REPLICATED_KINDS = {"Deployment", "StatefulSet"}

# Names that announce a secret (env vars, ConfigMap keys, any mapping key), compared after
# dropping "-" and "_" and lower-casing. Names ending in file/path/dir/ref/name point to a
# secret instead of holding it.
SECRET_NAME_PARTS = ("password", "passwd", "secretkey", "privatekey", "accesskey", "apikey",
                     "clientsecret", "credential")
POINTER_SUFFIXES = ("file", "path", "dir", "ref", "name")
# $(VAR) (kubelet env expansion) and ${env:VAR} / ${VAR} (config templating) are references.
REFERENCE_RE = re.compile(r"\$\((\w+)\)|\$\{(?:env:)?\w+\}")
URL_USERINFO_RE = re.compile(r"[a-z][a-z0-9+.-]*://([^/\s:@]+):([^/\s@]+)@", re.IGNORECASE)
PRIVATE_KEY_RE = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


@dataclass(frozen=True)
class Violation:
    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class Exemption:
    rule: str
    where: str
    reason: str


@dataclass
class Report:
    violations: list[Violation]
    exempted: list[Violation]
    exemptions: list[Exemption]
    objects: int
    workloads: int
    containers: int


def object_id(obj: dict) -> str:
    meta = obj.get("metadata") or {}
    ns = meta.get("namespace")
    return f"{obj.get('kind')}/{ns + '/' if ns else ''}{meta.get('name')}"


def dig(obj: dict, path: Iterable[str]) -> dict | None:
    for key in path:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj if isinstance(obj, dict) else None


def pod_spec(obj: dict) -> dict | None:
    path = POD_SPEC_PATHS.get(obj.get("kind"))
    return dig(obj, path) if path else None


def pod_labels(obj: dict) -> dict:
    if obj.get("kind") == "Pod":
        return (obj.get("metadata") or {}).get("labels") or {}
    template = dig(obj, ("spec", "template")) or {}
    return (template.get("metadata") or {}).get("labels") or {}


def selector_matches(selector: dict | None, labels: dict) -> bool:
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return bool(selector.get("matchLabels") or selector.get("matchExpressions"))


def effective(container_sc: dict, pod_sc: dict, key: str):
    """A securityContext field as the kubelet resolves it: the container wins over the pod."""
    if key in container_sc:
        return container_sc[key]
    return pod_sc.get(key)


def check_container(where: str, kind: str, container: dict, pod_sc: dict,
                    is_init: bool) -> Iterator[Violation]:
    sc = container.get("securityContext") or {}
    name = f"{where} container {container.get('name')}"

    if kind in LONG_RUNNING and not is_init:
        for probe in ("readinessProbe", "livenessProbe"):
            if not container.get(probe):
                yield Violation("probes", name, f"no {probe}")

    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        for res in ("cpu", "memory"):
            if not (resources.get(section) or {}).get(res):
                yield Violation("resources", name, f"no {res} {section[:-1]}")

    if effective(sc, pod_sc, "runAsNonRoot") is not True:
        yield Violation("run-as-non-root", name, "runAsNonRoot is not true")
    if effective(sc, pod_sc, "runAsUser") == 0:
        yield Violation("run-as-non-root", name, "runAsUser is 0 (root)")

    if sc.get("readOnlyRootFilesystem") is not True:
        yield Violation("read-only-root-filesystem", name, "readOnlyRootFilesystem is not true")

    if sc.get("allowPrivilegeEscalation") is not False:
        yield Violation("no-privilege-escalation", name, "allowPrivilegeEscalation is not false")

    caps = sc.get("capabilities") or {}
    if "ALL" not in (caps.get("drop") or []):
        yield Violation("drop-all-capabilities", name, "capabilities.drop does not contain ALL")
    if caps.get("add"):
        yield Violation("drop-all-capabilities", name, f"capabilities.add {caps['add']}")

    seccomp = effective(sc, pod_sc, "seccompProfile") or {}
    if seccomp.get("type") not in ("RuntimeDefault", "Localhost"):
        yield Violation("seccomp", name, "seccompProfile is not RuntimeDefault/Localhost")

    image = container.get("image") or ""
    last = image.rsplit("/", 1)[-1]
    if "@sha256:" not in image and (":" not in last or last.endswith(":latest")):
        yield Violation("image-pinned", name, f"image {image!r} is not pinned")


def check_workloads(objects: list[dict]) -> Iterator[Violation]:
    accounts = {(o["metadata"].get("namespace"), o["metadata"]["name"])
                for o in objects if o.get("kind") == "ServiceAccount"}
    pdbs = [o for o in objects if o.get("kind") == "PodDisruptionBudget"]
    account_users: dict[tuple, list[str]] = {}

    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        kind, where = obj["kind"], object_id(obj)
        ns = obj["metadata"].get("namespace")
        pod_sc = spec.get("securityContext") or {}
        for is_init, key in ((True, "initContainers"), (False, "containers")):
            for container in spec.get(key) or []:
                yield from check_container(where, kind, container, pod_sc, is_init)

        if kind not in NEEDS_SA_AND_PDB:
            continue
        account = spec.get("serviceAccountName")
        if not account or account == "default":
            yield Violation("own-service-account", where, "runs as the default ServiceAccount")
        else:
            account_users.setdefault((ns, account), []).append(where)
            if (ns, account) not in accounts:
                yield Violation("own-service-account", where,
                                f"ServiceAccount {account} is not part of the manifests")
        labels = pod_labels(obj)
        if not any(p["metadata"].get("namespace") == ns
                   and selector_matches((p.get("spec") or {}).get("selector"), labels)
                   for p in pdbs):
            yield Violation("pod-disruption-budget", where, "no PodDisruptionBudget selects its pods")

    for (ns, account), users in account_users.items():
        if len(users) > 1:
            for where in users:
                yield Violation("own-service-account", where,
                                f"ServiceAccount {account} is shared by {', '.join(users)}")


def sakusei_service(container: dict) -> str | None:
    """The service a container serves: image named sakusei, run as `serve <service>`."""
    image = container.get("image") or ""
    if image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0] != SAKUSEI_IMAGE:
        return None
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or [])]
    for word, following in zip(words, words[1:]):
        if word == "serve" and following in SAKUSEI_SERVICES:
            return following
    return None


def max_replicas(obj: dict, objects: list[dict]) -> int:
    """The most replicas a workload runs: spec.replicas (default 1), or the maxReplicas of a
    HorizontalPodAutoscaler that scales it."""
    spec = obj.get("spec") or {}
    most = spec.get("replicas")
    most = 1 if most is None else int(most)
    meta = obj["metadata"]
    for hpa in objects:
        if hpa.get("kind") != "HorizontalPodAutoscaler":
            continue
        target = (hpa.get("spec") or {}).get("scaleTargetRef") or {}
        if ((hpa.get("metadata") or {}).get("namespace") == meta.get("namespace")
                and target.get("kind") == obj["kind"] and target.get("name") == meta.get("name")):
            most = max(most, int(hpa["spec"].get("maxReplicas") or 1))
    return most


def sets_database_url(container: dict, objects: list[dict], ns: str | None) -> bool:
    """Whether DATABASE_URL is set, non-empty, by env (a value or a required Secret/ConfigMap
    key) or envFrom. env wins over envFrom, later entries over earlier ones. A ConfigMap must be
    in the manifests and hold the key; a Secret is created by ops (its keys are not in the
    manifests), so a required envFrom Secret counts as setting it."""
    entries = [e for e in container.get("env") or [] if e.get("name") == DATABASE_URL]
    if entries:
        entry = entries[-1]
        if "valueFrom" in entry:
            source = entry["valueFrom"] or {}
            ref = source.get("secretKeyRef") or source.get("configMapKeyRef")
            return bool(ref) and not ref.get("optional")
        return bool(str(entry.get("value") or "").strip())
    found = False
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        if not DATABASE_URL.startswith(prefix):
            continue
        key = DATABASE_URL[len(prefix):]
        if source.get("configMapRef"):
            ref = source["configMapRef"]
            maps = [o for o in objects if o.get("kind") == "ConfigMap"
                    and o["metadata"].get("name") == ref.get("name")
                    and o["metadata"].get("namespace") == ns]
            data = (maps[0].get("data") or {}) if maps else {}
            if key in data:
                found = bool(str(data[key] or "").strip())
        elif source.get("secretRef") and not source["secretRef"].get("optional"):
            found = True
    return found


def check_replicated_state(objects: list[dict]) -> Iterator[Violation]:
    for obj in objects:
        if obj.get("kind") not in REPLICATED_KINDS:
            continue
        spec = pod_spec(obj) or {}
        ns = obj["metadata"].get("namespace")
        replicas = max_replicas(obj, objects)
        if replicas <= 1:
            continue
        for container in spec.get("containers") or []:
            service = sakusei_service(container)
            if service and not sets_database_url(container, objects, ns):
                yield Violation("replicated-state-needs-database", f"{object_id(obj)} container "
                                f"{container.get('name')}",
                                f"serves {service} with up to {replicas} replicas but sets no "
                                f"{DATABASE_URL}: each replica would keep its own SQLite state")


def is_secret_name(name: str) -> bool:
    norm = name.replace("-", "").replace("_", "").replace(".", "").lower()
    return any(part in norm for part in SECRET_NAME_PARTS) and not norm.endswith(POINTER_SUFFIXES)


def is_literal(value) -> bool:
    """A non-empty value that is not only references to other variables."""
    if isinstance(value, bool) or value is None:
        return False
    text = str(value).strip()
    return bool(text) and bool(REFERENCE_RE.sub("", text).strip())


def scan_strings(node, path: str) -> Iterator[tuple[str, str, object]]:
    """Yield (path, key, value) for every mapping entry; env-style {name, value} pairs count
    as name: value."""
    if isinstance(node, dict):
        if isinstance(node.get("name"), str) and "value" in node:
            yield f"{path}.{node['name']}", node["name"], node["value"]
        for key, value in node.items():
            sub = f"{path}.{key}"
            if isinstance(value, (dict, list)):
                yield from scan_strings(value, sub)
            else:
                yield sub, str(key), value
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from scan_strings(item, f"{path}[{i}]")


def check_secret_values(objects: list[dict]) -> Iterator[Violation]:
    for obj in objects:
        where = object_id(obj)
        if obj.get("kind") == "Secret" and (obj.get("data") or obj.get("stringData")):
            yield Violation("no-secret-values", where,
                            "Secret with data in the manifests; reference a Secret that ops create")
            continue
        for path, key, value in scan_strings({k: v for k, v in obj.items() if k != "metadata"}, ""):
            if not isinstance(value, str):
                value_text = None if value is None or isinstance(value, bool) else str(value)
            else:
                value_text = value
            if value_text is None:
                continue
            if is_secret_name(key) and is_literal(value_text):
                yield Violation("no-secret-values", where, f"{path.lstrip('.')} holds a literal value")
            if PRIVATE_KEY_RE.search(value_text):
                yield Violation("no-secret-values", where, f"{path.lstrip('.')} contains a private key")
            for match in URL_USERINFO_RE.finditer(value_text):
                if is_literal(match.group(2)):
                    yield Violation("no-secret-values", where,
                                    f"{path.lstrip('.')} has a password in a URL")


def exemptions_of(obj: dict) -> tuple[set[str], str, list[Violation]]:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    raw = annotations.get(EXEMPT_ANNOTATION)
    if raw is None:
        return set(), "", []
    where = object_id(obj)
    rules = {r.strip() for r in str(raw).split(",") if r.strip()}
    reason = str(annotations.get(EXEMPT_REASON_ANNOTATION) or "").strip()
    problems = []
    if not reason:
        problems.append(Violation("exemption", where, f"{EXEMPT_ANNOTATION} without {EXEMPT_REASON_ANNOTATION}"))
    for rule in sorted(rules):
        if rule not in RULES:
            problems.append(Violation("exemption", where, f"unknown rule {rule!r} exempted"))
        elif rule in NOT_EXEMPTIBLE:
            problems.append(Violation("exemption", where, f"rule {rule!r} cannot be exempted"))
    valid = {r for r in rules if r in RULES and r not in NOT_EXEMPTIBLE} if reason else set()
    return valid, reason, problems


def check(objects: list[dict]) -> Report:
    objects = [o for o in objects if isinstance(o, dict) and o.get("kind")]
    exempt: dict[str, tuple[set[str], str]] = {}
    violations: list[Violation] = []
    exemptions: list[Exemption] = []
    for obj in objects:
        rules, reason, problems = exemptions_of(obj)
        violations.extend(problems)
        if rules:
            exempt[object_id(obj)] = (rules, reason)
            exemptions.extend(Exemption(r, object_id(obj), reason) for r in sorted(rules))

    exempted: list[Violation] = []
    for v in [*check_workloads(objects), *check_replicated_state(objects), *check_secret_values(objects)]:
        owner = v.where.split(" container ")[0]
        if v.rule in exempt.get(owner, (set(), ""))[0]:
            exempted.append(v)
        else:
            violations.append(v)

    workloads = [o for o in objects if pod_spec(o) is not None]
    containers = sum(len((pod_spec(o) or {}).get(k) or [])
                     for o in workloads for k in ("containers", "initContainers"))
    return Report(violations, exempted, exemptions, len(objects), len(workloads), containers)


def load(paths: list[str]) -> list[dict]:
    objects = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            objects.extend(d for d in yaml.safe_load_all(handle) if d)
    return objects


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    failed = False
    exemptions = 0
    totals = [0, 0, 0]
    for path in argv:
        report = check(load([path]))
        totals = [totals[0] + report.objects, totals[1] + report.workloads, totals[2] + report.containers]
        for v in report.violations:
            print(f"{path}: {v}")
        for e in report.exemptions:
            print(f"{path}: exemption {e.where} [{e.rule}]: {e.reason}")
        exemptions += len(report.exemptions)
        failed = failed or bool(report.violations)
    print(f"policy: {len(argv)} builds, {totals[0]} objects, {totals[1]} workloads, "
          f"{totals[2]} containers checked against {len(RULES)} rules: "
          f"{'FAILED' if failed else 'no violations'}, {exemptions or 'no'} exemptions")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
