"""hark transcribe FILE... | hark models create|list|show|delete | hark keys create

Transcripts go to stdout (or --out DIR); progress and the summary go to stderr, so the
output can be piped. Exit status: 0 when everything asked for succeeded, 1 when something
failed (one line each, never a traceback), 2 for a usage error."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from hark_cli.client import CliError, HarkClient
from hark_cli.settings import REPO, resolve

FORMATS = {"text": ".txt", "json": ".json", "srt": ".srt", "vtt": ".vtt"}
POLL_S = 0.5
FINISHED = ("completed", "error")
MODEL_FINISHED = ("ready", "error")

err = Console(stderr=True, highlight=False)


@dataclass
class Job:
    path: Path
    task: TaskID
    transcript_id: Optional[str] = None
    body: dict[str, Any] = field(default_factory=dict)
    error: Optional[str] = None
    started: float = field(default_factory=time.monotonic)
    seconds: float = 0.0


def transcribe(args: argparse.Namespace, client: HarkClient) -> int:
    paths = [Path(p) for p in args.files]
    for path in paths:
        if not path.is_file():
            raise CliError(f"{path}: no such file")
    options = {"custom_model_id": args.model} if args.model else {}
    columns = (SpinnerColumn(), TextColumn("{task.description:<24}"), BarColumn(), TextColumn("{task.fields[stage]}"), TimeElapsedColumn())
    jobs: list[Job] = []
    with Progress(*columns, console=err) as progress:
        for path in paths:
            job = Job(path, progress.add_task(path.name, total=max(path.stat().st_size, 1), stage="uploading"))
            jobs.append(job)
            try:
                url = client.upload(path, lambda n, t=job.task: progress.advance(t, n))
                job.transcript_id = client.submit(url, **options)["id"]
                progress.update(job.task, stage="queued")
            except CliError as e:
                _fail(progress, job, str(e))
        while pending := [j for j in jobs if j.transcript_id and not j.body and not j.error]:
            for job in pending:
                body = client.transcript(job.transcript_id or "")
                progress.update(job.task, stage=body["status"])
                if body["status"] in FINISHED:
                    job.seconds = time.monotonic() - job.started
                    if body["status"] == "error":
                        _fail(progress, job, body.get("error") or "transcription failed")
                    else:
                        job.body = body
                        progress.update(job.task, stage="[green]completed")
            time.sleep(POLL_S)
    for job in jobs:
        if job.body:
            _write(client, job, args.format, Path(args.out) if args.out else None, several=len(jobs) > 1)
    _summary(jobs)
    return 1 if any(j.error for j in jobs) else 0


def _fail(progress: Progress, job: Job, message: str) -> None:
    job.error = message
    progress.update(job.task, stage="[red]error")


def _write(client: HarkClient, job: Job, fmt: str, out: Optional[Path], several: bool) -> None:
    body = job.body
    if fmt == "text":
        content = (body.get("text") or "") + "\n"
    elif fmt == "json":
        content = json.dumps(body, indent=2) + "\n"
    else:
        content = client.subtitles(body["id"], fmt)
    if out is None:
        if several:
            sys.stdout.write(f"==> {job.path} <==\n")
        sys.stdout.write(content)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / (job.path.stem + FORMATS[fmt])).write_text(content)


def _summary(jobs: Sequence[Job]) -> None:
    table = Table(title=None, show_edge=False)
    for column in ("file", "status", "audio s", "words", "took s", "transcript id"):
        table.add_column(column, overflow="fold")
    for job in jobs:
        body = job.body
        table.add_row(
            job.path.name,
            "completed" if body else "error",
            str(body.get("audio_duration", "")),
            str(len(body.get("words") or [])) if body else "",
            f"{job.seconds:.1f}" if job.seconds else "",
            body.get("id", job.transcript_id or ""),
        )
    err.print(table)
    # Each failure as one whole line, whatever the terminal's width.
    for job in jobs:
        if job.error:
            err.print(f"hark: error: {job.path}: {job.error}", markup=False, soft_wrap=True)
    done = sum(1 for j in jobs if j.body)
    err.print(f"{done} of {len(jobs)} transcribed")


def models_create(args: argparse.Namespace, client: HarkClient) -> int:
    texts = [_read(Path(p)) for p in args.texts]
    phrases = [line.strip() for line in _read(Path(args.phrases)).splitlines() if line.strip()] if args.phrases else []
    body: dict[str, Any] = {"name": args.name, "texts": texts, "phrases": phrases}
    if args.description:
        body["description"] = args.description
    model = client.create_model(body)
    with err.status(f"training model {model['id']} ({model['status']})") as status:
        while model["status"] not in MODEL_FINISHED:
            time.sleep(POLL_S)
            model = client.model(model["id"])
            status.update(f"training model {model['id']} ({model['status']})")
    if model["status"] == "error":
        raise CliError(f"model {model['id']} failed: {model.get('error')}")
    metrics = model.get("metrics") or {}
    phrases_found = ", ".join(p["text"] for p in (metrics.get("domain_phrases") or [])[:8])
    err.print(
        f"model {model['id']} ready: {metrics.get('corpus_words', '?')} words, "
        f"vocabulary {metrics.get('vocabulary', '?')}; domain phrases: {phrases_found or '-'}"
    )
    print(model["id"])
    return 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise CliError(f"{path}: no such file") from e
    except UnicodeDecodeError as e:
        raise CliError(f"{path}: not UTF-8 text") from e


def models_list(args: argparse.Namespace, client: HarkClient) -> int:
    # Plain columns, never truncated, so the ids can be copied or piped (ids are 36 wide).
    print(f"{'id':<36}  {'status':<8}  {'created':<24}  name")
    for m in client.models():
        print(f"{m['id']:<36}  {m['status']:<8}  {m['created']:<24}  {m['name']}")
    return 0


def models_show(args: argparse.Namespace, client: HarkClient) -> int:
    print(json.dumps(client.model(args.id), indent=2))
    return 0


def models_delete(args: argparse.Namespace, client: HarkClient) -> int:
    client.delete_model(args.id)
    err.print(f"model {args.id} deleted")
    return 0


def keys_create(args: argparse.Namespace) -> int:
    """Keys are written straight to the keys table (there is no API for it, by design): this
    is the local stack's `make key`."""
    if not (REPO / "devstack").is_dir():
        raise CliError("keys are made where the stack runs: use `make key TENANT=...` in the Hark checkout")
    done = subprocess.run(
        [sys.executable, "-m", "devstack", "key", "--tenant", args.tenant], cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise CliError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "could not create a key")
    print(done.stdout.strip().splitlines()[-1])
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="hark", description="Hark speech-to-text from the command line.")
    p.add_argument("--api-url", help="the Hark API (default: HARK_API_URL, else the local stack)")
    p.add_argument("--api-key", help="an API key (default: HARK_API_KEY, else the local stack's dev key)")
    commands = p.add_subparsers(dest="command", required=True)

    t = commands.add_parser("transcribe", help="transcribe audio files")
    t.add_argument("files", nargs="+", metavar="FILE")
    t.add_argument("--model", help="a custom model id")
    t.add_argument("--format", choices=FORMATS, default="text")
    t.add_argument("--out", metavar="DIR", help="write <name>.<ext> files here instead of to stdout")
    t.set_defaults(func=transcribe)

    m = commands.add_parser("models", help="custom models").add_subparsers(dest="action", required=True)
    c = m.add_parser("create", help="train a custom model and wait until it is ready")
    c.add_argument("--name", required=True)
    c.add_argument("--description")
    c.add_argument("--texts", nargs="*", default=[], metavar="FILE", help="text files: each one a document")
    c.add_argument("--phrases", metavar="FILE", help="one phrase per line")
    c.set_defaults(func=models_create)
    m.add_parser("list", help="list models").set_defaults(func=models_list)
    s = m.add_parser("show", help="a model's record and metrics as JSON")
    s.add_argument("id")
    s.set_defaults(func=models_show)
    d = m.add_parser("delete", help="delete a model")
    d.add_argument("id")
    d.set_defaults(func=models_delete)

    k = commands.add_parser("keys", help="API keys").add_subparsers(dest="action", required=True)
    kc = k.add_parser("create", help="a new key for a tenant of the local stack")
    kc.add_argument("--tenant", required=True)
    kc.set_defaults(func=keys_create, offline=True)
    return p


def main(argv: Sequence[str] | None = None) -> None:
    args = parser().parse_args(argv)
    try:
        if getattr(args, "offline", False):
            sys.exit(args.func(args))
        target = resolve(args.api_url, args.api_key)
        with HarkClient(target.api_url, target.key) as client:
            sys.exit(args.func(args, client))
    except CliError as e:
        err.print(f"hark: error: {e}", markup=False, soft_wrap=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
