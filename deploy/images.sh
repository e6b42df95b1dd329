#!/usr/bin/env bash
# Builds Hark's two SageMaker images and pushes them to ECR, creating the repositories
# <stack>-inference and <stack>-train when missing. Needs Docker and AWS credentials.
# Usage: deploy/images.sh STACK REGION TAG
# Prints the template parameters of what it pushed (InferenceImageUri=..., TrainingImageUri=...)
# on stdout; everything else goes to stderr.
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 STACK REGION TAG" >&2
  exit 2
fi
stack=$1
region=$2
tag=$3
cd "$(dirname "$0")/.."

account=$(aws sts get-caller-identity --query Account --output text)
registry="${account}.dkr.ecr.${region}.amazonaws.com"
aws ecr get-login-password --region "$region" | docker login --username AWS --password-stdin "$registry" >&2

# name, Dockerfile, template parameter
images=(
  "inference sagemaker_jobs/inference/Dockerfile InferenceImageUri"
  "train sagemaker_jobs/train/Dockerfile TrainingImageUri"
)
for spec in "${images[@]}"; do
  read -r name dockerfile parameter <<<"$spec"
  repository="${stack}-${name}"
  if ! aws ecr describe-repositories --region "$region" --repository-names "$repository" >/dev/null 2>&1; then
    aws ecr create-repository --region "$region" --repository-name "$repository" \
      --image-scanning-configuration scanOnPush=true --image-tag-mutability IMMUTABLE >&2
    # Every deploy of new code pushes an image; keep the last five (a few GB each) for rollbacks.
    aws ecr put-lifecycle-policy --region "$region" --repository-name "$repository" --lifecycle-policy-text \
      '{"rules":[{"rulePriority":1,"description":"keep the last 5","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":5},"action":{"type":"expire"}}]}' >&2
  fi
  uri="${registry}/${repository}:${tag}"
  # An immutable tag that exists already holds this commit's build.
  if ! aws ecr describe-images --region "$region" --repository-name "$repository" --image-ids "imageTag=${tag}" >/dev/null 2>&1; then
    # SageMaker runs x86_64 instances for both images.
    DOCKER_BUILDKIT=1 docker build --platform linux/amd64 -f "$dockerfile" -t "$uri" . >&2
    docker push "$uri" >&2
  fi
  echo "${parameter}=${uri}"
done
