"""The AWS side of `make deploy` and `make destroy`, with boto3: an artifacts bucket for the
Lambda package and the template (too big to pass inline), the stack, and tearing it all down."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("hark.deploy")
# The Chalice app is SAM (it needs the transform); the template creates IAM roles.
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
# Replacing or removing one of these loses what it stores.
DATA_RESOURCES = frozenset({"AWS::DynamoDB::Table", "AWS::S3::Bucket"})
DRY_RUN_CHANGE_SET = "hark-dry-run"


@dataclass(frozen=True)
class PlannedChange:
    """One resource in a change set: what CloudFormation would do to it."""

    action: str
    """Add, Modify, Remove (or Import, Dynamic)."""
    logical_id: str
    resource_type: str
    replacement: str = ""
    """For Modify: True, False or Conditional (replaced: a new physical resource)."""

    @property
    def loses_data(self) -> bool:
        replaced = self.action == "Modify" and self.replacement in ("True", "Conditional")
        return self.resource_type in DATA_RESOURCES and (replaced or self.action == "Remove")


@dataclass(frozen=True)
class Stored:
    """Something `destroy` deletes with its contents."""

    kind: str
    name: str
    items: int | None


@dataclass(frozen=True)
class Target:
    stack: str
    region: str
    account: str

    @property
    def artifacts_bucket(self) -> str:
        return f"{self.stack}-deploy-{self.account}-{self.region}"


class Deployer:
    def __init__(self, session: Any, target: Target) -> None:
        self._target = target
        self._s3 = session.client("s3", region_name=target.region)
        self._cfn = session.client("cloudformation", region_name=target.region)
        self._ecr = session.client("ecr", region_name=target.region)
        self._dynamodb = session.client("dynamodb", region_name=target.region)

    def ensure_artifacts_bucket(self) -> None:
        bucket = self._target.artifacts_bucket
        try:
            self._s3.head_bucket(Bucket=bucket)
            return
        except self._s3.exceptions.ClientError:
            log.info("creating the artifacts bucket %s", bucket)
        kwargs: dict[str, Any] = {}
        if self._target.region != "us-east-1":  # S3 refuses the default region as a constraint
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self._target.region}
        self._s3.create_bucket(Bucket=bucket, **kwargs)
        self._s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
            },
        )

    def upload(self, body: bytes, suffix: str) -> tuple[str, str]:
        """Stores an artifact under its content hash (unchanged code makes no update);
        returns its s3:// URI and https URL."""
        key = f"{self._target.stack}/{hashlib.sha256(body).hexdigest()}{suffix}"
        bucket = self._target.artifacts_bucket
        self._s3.put_object(Bucket=bucket, Key=key, Body=body)
        url = f"https://{bucket}.s3.{self._target.region}.amazonaws.com/{key}"
        return f"s3://{bucket}/{key}", url

    def deploy(self, template: dict[str, Any], parameters: dict[str, str]) -> dict[str, str]:
        """Creates or updates the stack, waits for it and returns its outputs."""
        _, url = self.upload(json.dumps(template).encode(), ".template.json")
        stack = self._stack()
        if stack is not None and stack["StackStatus"] == "ROLLBACK_COMPLETE":
            raise RuntimeError(f"stack {self._target.stack} failed to create; see its events, then `make destroy` it")
        exists = stack is not None
        given = _stack_parameters(template, parameters, stack)
        kwargs = {"StackName": self._target.stack, "TemplateURL": url, "Parameters": given, "Capabilities": CAPABILITIES}
        if not exists:
            log.info("creating stack %s (the endpoint's first instance takes several minutes)", self._target.stack)
            self._cfn.create_stack(**kwargs, OnFailure="ROLLBACK")
            self._wait("stack_create_complete")
        else:
            try:
                self._cfn.update_stack(**kwargs)
            except self._cfn.exceptions.ClientError as e:
                if "No updates are to be performed" not in str(e):
                    raise
                log.info("stack %s is up to date", self._target.stack)
            else:
                log.info("updating stack %s", self._target.stack)
                self._wait("stack_update_complete")
        return self.outputs()

    def plan(self, template: dict[str, Any], parameters: dict[str, str]) -> list[PlannedChange]:
        """What deploying `template` would change, from a change set that is never executed:
        created, read, then deleted (with the empty stack a first change set leaves behind)."""
        _, url = self.upload(json.dumps(template).encode(), ".template.json")
        stack = self._stack()
        given = _stack_parameters(template, parameters, stack)
        kind = "UPDATE" if stack is not None else "CREATE"
        name = self._target.stack
        self._cfn.create_change_set(
            StackName=name, ChangeSetName=DRY_RUN_CHANGE_SET, ChangeSetType=kind,
            TemplateURL=url, Parameters=given, Capabilities=CAPABILITIES,
        )
        try:
            described = self._cfn.describe_change_set(StackName=name, ChangeSetName=DRY_RUN_CHANGE_SET)
            while described["Status"] in ("CREATE_PENDING", "CREATE_IN_PROGRESS"):
                time.sleep(2)
                described = self._cfn.describe_change_set(StackName=name, ChangeSetName=DRY_RUN_CHANGE_SET)
            if described["Status"] == "FAILED":
                if "didn't contain changes" in described.get("StatusReason", "") or "No updates" in described.get("StatusReason", ""):
                    return []
                raise RuntimeError(f"the change set failed: {described.get('StatusReason', '?')}")
            changes = list(described.get("Changes", []))
            while described.get("NextToken"):
                described = self._cfn.describe_change_set(
                    StackName=name, ChangeSetName=DRY_RUN_CHANGE_SET, NextToken=described["NextToken"]
                )
                changes += described.get("Changes", [])
        finally:
            self._cfn.delete_change_set(StackName=name, ChangeSetName=DRY_RUN_CHANGE_SET)
            if kind == "CREATE":  # the change set made an empty stack in REVIEW_IN_PROGRESS
                self._cfn.delete_stack(StackName=name)
        return [
            PlannedChange(
                action=c["ResourceChange"].get("Action", "?"),
                logical_id=c["ResourceChange"].get("LogicalResourceId", "?"),
                resource_type=c["ResourceChange"].get("ResourceType", "?"),
                replacement=c["ResourceChange"].get("Replacement", "") or "",
            )
            for c in changes
            if "ResourceChange" in c
        ]

    def inventory(self, repositories: list[str]) -> list[Stored]:
        """Everything `destroy` deletes that holds data, with how much it holds."""
        stored: list[Stored] = []
        if self._stack() is not None:
            pages = self._cfn.get_paginator("list_stack_resources").paginate(StackName=self._target.stack)
            for page in pages:
                for resource in page["StackResourceSummaries"]:
                    physical = resource.get("PhysicalResourceId")
                    if not physical:
                        continue
                    if resource["ResourceType"] == "AWS::S3::Bucket":
                        stored.append(Stored("bucket", physical, self._object_count(physical)))
                    elif resource["ResourceType"] == "AWS::DynamoDB::Table":
                        stored.append(Stored("table", physical, self._item_count(physical)))
        artifacts = self._object_count(self._target.artifacts_bucket)
        if artifacts is not None:
            stored.append(Stored("bucket", self._target.artifacts_bucket, artifacts))
        for repository in repositories:
            try:
                images = self._ecr.describe_images(repositoryName=repository).get("imageDetails", [])
            except self._ecr.exceptions.RepositoryNotFoundException:
                continue
            stored.append(Stored("image repository", repository, len(images)))
        return stored

    def _object_count(self, bucket: str) -> int | None:
        """Objects (all versions), or None when the bucket does not exist."""
        try:
            return sum(
                len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
                for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
            )
        except self._s3.exceptions.NoSuchBucket:
            return None
        except self._s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("NoSuchBucket", "404"):
                return None
            raise

    def _item_count(self, table: str) -> int | None:
        """DynamoDB's item count (refreshed about every six hours), or None if it is gone."""
        try:
            return int(self._dynamodb.describe_table(TableName=table)["Table"].get("ItemCount", 0))
        except self._dynamodb.exceptions.ResourceNotFoundException:
            return None

    def outputs(self) -> dict[str, str]:
        stack = self._stack()
        return {o["OutputKey"]: o["OutputValue"] for o in (stack or {}).get("Outputs", [])}

    def destroy(self, repositories: list[str]) -> None:
        """Deletes the stack with everything it stored, its images and the artifacts bucket.
        CloudFormation cannot delete a bucket that holds objects, so they go first."""
        if self._stack() is not None:
            resources = self._cfn.get_paginator("list_stack_resources").paginate(StackName=self._target.stack)
            for page in resources:
                for resource in page["StackResourceSummaries"]:
                    if resource["ResourceType"] == "AWS::S3::Bucket" and resource.get("PhysicalResourceId"):
                        self._empty(resource["PhysicalResourceId"])
            log.info("deleting stack %s", self._target.stack)
            self._cfn.delete_stack(StackName=self._target.stack)
            self._wait("stack_delete_complete")
        for repository in repositories:
            try:
                self._ecr.delete_repository(repositoryName=repository, force=True)
                log.info("deleted image repository %s", repository)
            except self._ecr.exceptions.RepositoryNotFoundException:
                pass
        self._empty(self._target.artifacts_bucket)
        try:
            self._s3.delete_bucket(Bucket=self._target.artifacts_bucket)
        except self._s3.exceptions.NoSuchBucket:
            pass

    def _empty(self, bucket: str) -> None:
        try:
            for page in self._s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                versions = page.get("Versions", []) + page.get("DeleteMarkers", [])
                doomed = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in versions]
                if doomed:
                    self._s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})
        except self._s3.exceptions.NoSuchBucket:
            return

    def _wait(self, waiter: str) -> None:
        # Up to an hour: creating the endpoint's first GPU instance alone can take 10 minutes.
        self._cfn.get_waiter(waiter).wait(StackName=self._target.stack, WaiterConfig={"Delay": 15, "MaxAttempts": 240})

    def _stack(self) -> dict[str, Any] | None:
        try:
            stack = self._cfn.describe_stacks(StackName=self._target.stack)["Stacks"][0]
        except self._cfn.exceptions.ClientError as e:
            if "does not exist" in str(e):
                return None
            raise
        return None if stack["StackStatus"] == "DELETE_COMPLETE" else stack


def _stack_parameters(
    template: dict[str, Any], parameters: dict[str, str], stack: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """CloudFormation's Parameters for a deploy or a plan: the given values the template
    declares, and for an existing stack every other parameter it had kept at its previous value
    (the images above all)."""
    declared = template.get("Parameters", {})
    given: list[dict[str, Any]] = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items() if k in declared]
    if stack is not None:
        previous = {p["ParameterKey"] for p in stack.get("Parameters", [])}
        given += [{"ParameterKey": k, "UsePreviousValue": True} for k in declared if k in previous and k not in parameters]
    return given
