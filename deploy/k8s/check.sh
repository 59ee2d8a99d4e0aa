#!/usr/bin/env bash
# Checks the Kubernetes manifests: builds every overlay x component combination with a
# pinned kustomize, validates every object against the Kubernetes schemas
# (deploy/k8s/validate.py) and runs the policy checker (deploy/k8s/policy.py).
#
#   bash deploy/k8s/check.sh [--out DIR]     (called by `make k8s-check`)
#
# --out DIR keeps the rendered manifests (one file per combination) in DIR.
# kustomize is installed with `go install` into ${SAKUSEI_LOCAL_DIR:-<repo>/.local}/tools
# on first use (needs Go >= 1.26 and the Go module proxy).
# Python: $PYTHON, else <repo>/.venv/bin/python, else python3; it needs PyYAML and
# kubernetes-validate.
set -euo pipefail

KUSTOMIZE_VERSION=v5.8.2
KUBERNETES_VERSION=1.33.0
OVERLAYS=(dev prod)
# Component sets: none, each alone, both ("+"-joined).
COMPONENT_SETS=("" tracing demo tracing+demo)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tools="${SAKUSEI_LOCAL_DIR:-$repo/.local}/tools"
kustomize="$tools/bin/kustomize"

out=""
if [[ "${1:-}" == "--out" ]]; then
  out="${2:?--out needs a directory}"
  mkdir -p "$out"
  out="$(cd "$out" && pwd)"
fi

if [[ -n "${PYTHON:-}" ]]; then
  python="$PYTHON"
elif [[ -x "$repo/.venv/bin/python" ]]; then
  python="$repo/.venv/bin/python"
else
  python="python3"
fi

installed_version() {
  [[ -x "$kustomize" ]] && "$kustomize" version 2>/dev/null || true
}

if [[ "$(installed_version)" != "$KUSTOMIZE_VERSION" ]]; then
  command -v go >/dev/null || { echo "k8s-check: Go is needed to install kustomize" >&2; exit 1; }
  echo "installing kustomize $KUSTOMIZE_VERSION into $tools/bin"
  start=$SECONDS
  GOBIN="$tools/bin" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  echo "installed kustomize $("$kustomize" version) in $((SECONDS - start))s"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rendered_dir="${out:-$work/rendered}"
mkdir -p "$rendered_dir"

built=()
for overlay in "${OVERLAYS[@]}"; do
  for set in "${COMPONENT_SETS[@]}"; do
    # dev includes the tracing component already; it cannot be added twice.
    [[ "$overlay" == dev && "$set" == *tracing* ]] && continue
    combo="$overlay${set:++$set}"
    dir="$work/combos/$combo"
    mkdir -p "$dir"
    {
      echo "apiVersion: kustomize.config.k8s.io/v1beta1"
      echo "kind: Kustomization"
      echo "resources:"
      echo "  - $(realpath --relative-to="$dir" "$here/overlays/$overlay")"
      if [[ -n "$set" ]]; then
        echo "components:"
        IFS=+ read -ra components <<<"$set"
        for component in "${components[@]}"; do
          echo "  - $(realpath --relative-to="$dir" "$here/components/$component")"
        done
      fi
    } >"$dir/kustomization.yaml"
    if ! "$kustomize" build "$dir" >"$rendered_dir/$combo.yaml"; then
      echo "k8s-check: kustomize build failed for $combo" >&2
      exit 1
    fi
    built+=("$combo")
  done
done

rendered=()
for combo in "${built[@]}"; do rendered+=("$rendered_dir/$combo.yaml"); done

echo "kustomize $KUSTOMIZE_VERSION: ${#built[@]} combinations built (${built[*]})"
status=0
"$python" "$here/validate.py" --kubernetes-version "$KUBERNETES_VERSION" "${rendered[@]}" || status=1
"$python" "$here/policy.py" "${rendered[@]}" || status=1
if [[ $status -ne 0 ]]; then
  echo "k8s-check: FAILED"
  exit 1
fi
echo "k8s-check: OK"
