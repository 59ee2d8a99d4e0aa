#!/bin/sh
# Creates the platform's buckets with server-side encryption (SSE-S3: each object encrypted
# under the deployment's KMS key - MinIO's static key in dev, KES in prod), a least-privilege
# policy for the services, and the services' S3 user. Idempotent; run by the minio-setup Job.
set -eu
MC="mc --config-dir /tmp/.mc"

until $MC alias set s3 "$S3_URL" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null; do
  echo "waiting for $S3_URL"
  sleep 5
done

for bucket in sakusei-extracts sakusei-datasets sakusei-documents sakusei-method-info; do
  $MC mb --ignore-existing "s3/$bucket"
  $MC encrypt set sse-s3 "s3/$bucket"
done

$MC admin policy create s3 sakusei-app /etc/minio-setup/sakusei-app-policy.json
$MC admin user add s3 "$APP_ACCESS_KEY" "$APP_SECRET_KEY"
if ! $MC admin policy entities s3 --user "$APP_ACCESS_KEY" | grep -q sakusei-app; then
  $MC admin policy attach s3 sakusei-app --user "$APP_ACCESS_KEY"
fi
echo "buckets encrypted:"
for bucket in sakusei-extracts sakusei-datasets sakusei-documents sakusei-method-info; do
  $MC encrypt info "s3/$bucket"
done
