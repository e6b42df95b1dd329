"""`python -m deploy`: Hark into an AWS account, and out again.

    package --stage prod --out DIR     build the stack template and Lambda package (no AWS needed)
    up --stack hark --stage prod        build and push the images, then deploy the stack
    down --stack hark                   delete the stack, its data, images and artifacts

Credentials and region come from the usual AWS environment (profile, variables, SSO).
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from deploy.package import ROOT, chalice_package, core_template, stack_template

log = logging.getLogger("hark.deploy")
IMAGES_SCRIPT = ROOT / "deploy" / "images.sh"
# Bucket names are derived from the stack name and must be lowercase DNS labels of at most 63
# characters: "<stack>-corpora-<12-digit account>-<region>" leaves 28 for the stack name.
STACK_NAME = re.compile(r"^[a-z][a-z0-9-]{0,27}$")


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

    if not STACK_NAME.match(args.stack):
        parser.error(f"--stack must match {STACK_NAME.pattern} (it prefixes bucket names)")
    import boto3  # only the AWS commands need it

    from deploy.aws import Deployer, Target

    session = boto3.session.Session(region_name=args.region)
    if not session.region_name:
        parser.error("no region: pass --region or set AWS_REGION")
    target = Target(args.stack, session.region_name, session.client("sts").get_caller_identity()["Account"])
    deployer = Deployer(session, target)

    if args.command == "down":
        if not args.yes and input(f"Delete stack {target.stack} in {target.region} with all its data? Type its name: ") != target.stack:
            log.info("nothing deleted")
            return 1
        deployer.destroy(repositories(target.stack))
        log.info("stack %s is gone", target.stack)
        return 0

    parameters = dict(p.split("=", 1) for p in args.parameter)
    if not args.skip_images:
        parameters = {**push_images(target.stack, target.region, image_tag()), **parameters}
    deployer.ensure_artifacts_bucket()
    with tempfile.TemporaryDirectory() as out:
        core = core_template()
        sam, package = chalice_package(args.stage, Path(out), core)
        code_uri, _ = deployer.upload(package.read_bytes(), ".zip")
        outputs = deployer.deploy(stack_template(core, sam, code_uri), parameters)
    log.info("API: %s", outputs.get("EndpointURL", "?"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
