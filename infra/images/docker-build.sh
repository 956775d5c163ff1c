#!/bin/sh
# npm run docker:build: builds the three images for linux/amd64, tagged with the git SHA.
#   npm run docker:build                                   # local tags tripcast/<image>:<sha>
#   REGISTRY=<acct>.dkr.ecr.<region>.amazonaws.com/tripcast-dev PUSH=1 npm run docker:build
# REGISTRY is the prefix of the ECR repositories (terraform output repository_urls, minus the
# image name); PUSH=1 pushes after building (log in first, see docs/deploy.md).
set -eu

cd "$(dirname "$0")/../.."
if ! command -v docker >/dev/null 2>&1; then
  echo "docker:build: docker is not installed" >&2
  exit 1
fi
if ! docker info >/dev/null 2>&1; then
  echo "docker:build: no Docker engine is reachable (docker info failed)" >&2
  exit 1
fi

TAG="${IMAGE_TAG:-$(git rev-parse --short=12 HEAD)}"
if [ -n "$(git status --porcelain 2>/dev/null)" ] && [ -z "${IMAGE_TAG:-}" ]; then
  echo "docker:build: the working tree has uncommitted changes; tag $TAG would not describe the image (commit, or set IMAGE_TAG)" >&2
  exit 1
fi
PREFIX="${REGISTRY:-tripcast}"

for image in console scorer stream-consumer; do
  ref="$PREFIX/$image:$TAG"
  echo "docker:build: $ref"
  # --provenance=false: Lambda accepts only a plain image manifest, not an index with attestations.
  docker build --platform linux/amd64 --provenance=false -f "apps/$image/Dockerfile" -t "$ref" .
  if [ "${PUSH:-0}" = "1" ]; then
    docker push "$ref"
  fi
done
echo "docker:build: done, image_tag=$TAG"
