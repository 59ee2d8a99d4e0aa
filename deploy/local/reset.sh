#!/usr/bin/env bash
# Stop the local services and wipe their data (topics, offsets, buckets,
# objects). Installed binaries/jars and the MinIO credentials/KMS key are kept,
# so the next up.sh starts a clean, freshly formatted broker quickly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=deploy/local/lib/common.sh
. "${here}/lib/common.sh"

"${here}/down.sh"
log "reset: removing ${KAFKA_DATA}, ${KAFKA_DIR}/cluster.id and ${MINIO_DATA}"
rm -rf "${KAFKA_DATA}" "${KAFKA_DIR}/cluster.id" "${MINIO_DATA}"
