"""Schema validation of rendered manifests.

Usage: python deploy/k8s/validate.py --kubernetes-version 1.33.0 RENDERED.yaml [...]

Built-in kinds are validated strictly (unknown fields rejected) with kubernetes-validate.
The operator kinds we use (Strimzi Kafka/KafkaNodePool/KafkaTopic, MinIO Tenant) have no
schema there; they are validated against the minimal schemas below, which pin the fields
this project relies on. Any other kind without a schema fails the check: nothing is
skipped silently.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import jsonschema
import kubernetes_validate
import yaml

_INT = {"type": "integer", "minimum": 1}
_STR = {"type": "string", "minLength": 1}
_META = {"type": "object", "required": ["name"], "properties": {"name": _STR}}

# Minimal schemas for the custom resources, keyed by (apiVersion, kind).
CRD_SCHEMAS = {
    ("kafka.strimzi.io/v1beta2", "Kafka"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _META,
            "spec": {
                "type": "object",
                "required": ["kafka", "entityOperator"],
                "properties": {
                    "kafka": {
                        "type": "object",
                        "required": ["version", "listeners", "config"],
                        "properties": {
                            "version": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                            "metadataVersion": _STR,
                            "listeners": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["name", "port", "type", "tls"],
                                    "properties": {
                                        "name": {"type": "string", "pattern": "^[a-z0-9]{1,11}$"},
                                        "port": {"type": "integer", "minimum": 9092},
                                        "type": {"enum": ["internal", "route", "loadbalancer",
                                                          "nodeport", "ingress", "cluster-ip"]},
                                        "tls": {"type": "boolean"},
                                    },
                                },
                            },
                            "config": {
                                "type": "object",
                                "required": ["min.insync.replicas", "default.replication.factor"],
                            },
                        },
                    },
                    "entityOperator": {"type": "object"},
                },
            },
        },
    },
    ("kafka.strimzi.io/v1beta2", "KafkaNodePool"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": {**_META, "required": ["name", "labels"],
                         "properties": {"labels": {"type": "object", "required": ["strimzi.io/cluster"]}}},
            "spec": {
                "type": "object",
                "required": ["replicas", "roles", "storage"],
                "properties": {
                    "replicas": _INT,
                    "roles": {"type": "array", "minItems": 1,
                              "items": {"enum": ["controller", "broker"]}},
                    "storage": {"type": "object", "required": ["type"]},
                },
            },
        },
    },
    ("kafka.strimzi.io/v1beta2", "KafkaTopic"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": {**_META, "required": ["name", "labels"],
                         "properties": {"labels": {"type": "object", "required": ["strimzi.io/cluster"]}}},
            "spec": {
                "type": "object",
                "required": ["topicName", "partitions", "replicas"],
                "additionalProperties": False,
                "properties": {
                    "topicName": _STR,
                    "partitions": _INT,
                    "replicas": _INT,
                    "config": {"type": "object"},
                },
            },
        },
    },
    ("minio.min.io/v2", "Tenant"): {
        "type": "object",
        "required": ["metadata", "spec"],
        "properties": {
            "metadata": _META,
            "spec": {
                "type": "object",
                "required": ["image", "pools", "configuration"],
                "properties": {
                    "image": _STR,
                    "configuration": {"type": "object", "required": ["name"]},
                    "pools": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["name", "servers", "volumesPerServer", "volumeClaimTemplate"],
                            "properties": {"servers": _INT, "volumesPerServer": _INT},
                        },
                    },
                    "kes": {"type": "object", "required": ["image", "kesSecret", "keyName"]},
                    "buckets": {"type": "array",
                                "items": {"type": "object", "required": ["name"]}},
                },
            },
        },
    },
}


def validate_objects(objects: list[dict], version: str) -> tuple[Counter, Counter, list[str]]:
    builtin, custom, errors = Counter(), Counter(), []
    for obj in objects:
        ident = f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
        key = (obj.get("apiVersion"), obj.get("kind"))
        if key in CRD_SCHEMAS:
            try:
                jsonschema.validate(obj, CRD_SCHEMAS[key])
                custom[obj["kind"]] += 1
            except jsonschema.ValidationError as exc:
                errors.append(f"{ident}: {exc.message} at {'/'.join(map(str, exc.absolute_path))}")
            continue
        try:
            kubernetes_validate.validate(obj, version, strict=True)
            builtin[obj["kind"]] += 1
        except kubernetes_validate.SchemaNotFoundError:
            errors.append(f"{ident}: no schema for {key[0]} {key[1]} (add one to CRD_SCHEMAS)")
        except kubernetes_validate.ValidationError as exc:
            errors.append(f"{ident}: {exc.message} at {'/'.join(map(str, exc.absolute_path))}")
    return builtin, custom, errors


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubernetes-version", required=True)
    parser.add_argument("files", nargs="+")
    args = parser.parse_args(argv)

    builtin, custom, failed = Counter(), Counter(), False
    for path in args.files:
        with open(path, encoding="utf-8") as handle:
            objects = [d for d in yaml.safe_load_all(handle) if d]
        b, c, errors = validate_objects(objects, args.kubernetes_version)
        builtin.update(b)
        custom.update(c)
        for error in errors:
            print(f"{path}: {error}")
        failed = failed or bool(errors)
    print(f"schemas: {sum(builtin.values())} objects valid against Kubernetes "
          f"{args.kubernetes_version} (strict), {sum(custom.values())} custom resources against "
          f"minimal schemas ({', '.join(f'{k} {n}' for k, n in sorted(custom.items()))}); "
          f"skipped: none{'; FAILED' if failed else ''}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
