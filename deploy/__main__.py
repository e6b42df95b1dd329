"""`python -m deploy`: Hark into an AWS account, and out again.

    package --stage prod --out DIR     build the stack template and Lambda package (no AWS needed)
    up --stack hark --stage prod        check, build and push the images, then deploy the stack
    up ... --dry-run                    check, then show what would change and the cost estimate
    down --stack hark [--yes]           list, then delete the stack, its data, images and artifacts

Credentials and region come from the usual AWS environment (profile, variables, SSO).
"""
from __future__ import annotations

import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, ProfileNotFound

from deploy.aws import Deployer, PlannedChange, Target
from deploy.costs import estimate
from deploy.package import ROOT, chalice_package, core_template, stack_template
from deploy.preflight import (
    DEFAULT_INFERENCE_INSTANCE,
    Identity,
    PreflightError,
    check_credentials,
    check_docker,
    check_inference_quota,
    check_permissions,
    check_region,
    check_stack_name,
    explain_denied,
)

log = logging.getLogger("hark.deploy")
IMAGES_SCRIPT = ROOT / "deploy" / "images.sh"


def push_images(stack: str, region: str, tag: str) -> dict[str, str]:
    """Runs deploy/images.sh, which prints the template parameters of the images it pushed."""
    printed = subprocess.run(
        [str(IMAGES_SCRIPT), stack, region, tag], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return dict(line.split("=", 1) for line in printed.splitlines() if "=" in line)


def repositories(stack: str) -> list[str]:
    """The ECR repositories deploy/images.sh creates for a stack."""
    return [f"{stack}-inference", f"{stack}-train"]


def image_tag() -> str:
    """The commit, so every deploy of new code is a new image (and a new SageMaker model); the
    repositories' tags are immutable, so uncommitted changes get a tag of their own."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout.strip()

    commit = git("rev-parse", "--short=12", "HEAD")
    return f"{commit}-dirty-{int(time.time())}" if git("status", "--porcelain", "--untracked-files=no") else commit


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    package = commands.add_parser("package", help="build the template and the Lambda package")
    package.add_argument("--stage", default="prod", choices=["dev", "prod"])
    package.add_argument("--out", type=Path, required=True)
    up = commands.add_parser("up", help="deploy or update a stack")
    up.add_argument("--stack", default="hark")
    up.add_argument("--stage", default="prod", choices=["dev", "prod"])
    up.add_argument("--region")
    up.add_argument("--skip-images", action="store_true", help="keep the images of the previous deploy")
    up.add_argument("--dry-run", action="store_true", help="show what would change (a change set, not executed) and the cost estimate")
    up.add_argument("--parameter", action="append", default=[], metavar="KEY=VALUE", help="a template parameter, e.g. InferenceInstanceType=ml.g5.xlarge")
    down = commands.add_parser("down", help="delete a stack and everything it stored")
    down.add_argument("--stack", default="hark")
    down.add_argument("--region")
    down.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)

    if args.command == "package":
        args.out.mkdir(parents=True, exist_ok=True)
        core = core_template()
        sam, _ = chalice_package(args.stage, args.out, core)
        (args.out / "template.json").write_text(json.dumps(stack_template(core, sam, "./deployment.zip"), indent=1))
        log.info("wrote %s and %s", args.out / "template.json", args.out / "deployment.zip")
        return 0
    try:
        return _up(args) if args.command == "up" else _down(args)
    except PreflightError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        line = explain_denied(error)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 1


def _session(args: argparse.Namespace) -> tuple[Any, Target, Identity]:
    """Preflight shared by up and down: stack name, region, credentials (in that order: the
    cheapest first, and none of them creates anything)."""
    import boto3  # only the AWS commands need it

    check_stack_name(args.stack)
    try:
        session = boto3.session.Session(region_name=args.region)
    except ProfileNotFound as error:
        raise PreflightError(f"{error}: check AWS_PROFILE or run `aws configure --profile NAME`") from None
    region = check_region(session)
    identity = check_credentials(session)
    return session, Target(args.stack, region, identity.account), identity


def _up(args: argparse.Namespace) -> int:
    parameters = dict(p.split("=", 1) for p in args.parameter)
    session, target, identity = _session(args)
    if not args.skip_images:
        check_docker()
    instance_type = parameters.get("InferenceInstanceType", DEFAULT_INFERENCE_INSTANCE)
    check_inference_quota(session, target.region, instance_type)
    check_permissions(session, identity)
    deployer = Deployer(session, target)

    if not args.skip_images and not args.dry_run:
        parameters = {**push_images(target.stack, target.region, image_tag()), **parameters}
    deployer.ensure_artifacts_bucket()
    with tempfile.TemporaryDirectory() as out:
        core = core_template()
        sam, package = chalice_package(args.stage, Path(out), core)
        code_uri, _ = deployer.upload(package.read_bytes(), ".zip")
        template = stack_template(core, sam, code_uri)
        if args.dry_run:
            print_plan(target, deployer.plan(template, parameters), instance_type)
            return 0
        outputs = deployer.deploy(template, parameters)
    log.info("API: %s", outputs.get("EndpointURL", "?"))
    return 0


def print_plan(target: Target, changes: list[PlannedChange], instance_type: str) -> None:
    print(f"dry run: stack {target.stack} in {target.region} (account {target.account}); nothing was changed")
    if not changes:
        print("  no changes")
    for action in ("Add", "Modify", "Remove", "Import", "Dynamic"):
        for change in (c for c in changes if c.action == action):
            replaced = " (REPLACED)" if change.replacement in ("True", "Conditional") else ""
            warning = "  <-- LOSES ITS DATA" if change.loses_data else ""
            print(f"  {action:<7} {change.logical_id} [{change.resource_type}]{replaced}{warning}")
    counts = {a: sum(c.action == a for c in changes) for a in ("Add", "Modify", "Remove")}
    print(f"  {counts['Add']} to add, {counts['Modify']} to change, {counts['Remove']} to remove")
    for line in estimate(instance_type):
        print(f"  cost: {line}")


def _down(args: argparse.Namespace) -> int:
    session, target, _ = _session(args)
    deployer = Deployer(session, target)
    stored = deployer.inventory(repositories(target.stack))
    print(f"`destroy` deletes stack {target.stack} in {target.region} (account {target.account}) with:")
    for item in stored:
        count = "?" if item.items is None else item.items
        unit = {"table": "items", "bucket": "objects", "image repository": "images"}[item.kind]
        print(f"  {item.kind} {item.name}: {count} {unit}")
    if not stored:
        print("  (nothing stored)")
    if not args.yes:
        if not sys.stdin.isatty():
            raise PreflightError("refusing to delete without a terminal to confirm: pass --yes (make destroy YES=1)")
        if input(f"Delete all of it? Type the stack name ({target.stack}): ") != target.stack:
            log.info("nothing deleted")
            return 1
    deployer.destroy(repositories(target.stack))
    log.info("stack %s is gone", target.stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
