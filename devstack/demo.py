"""`make demo`: start the local stack and run Hark's main job end to end with the official
AssemblyAI SDK, printing what comes back."""
from __future__ import annotations

import argparse
import difflib
import json
import os
import time
from pathlib import Path

import httpx

from devstack.keys import DEV_TENANT, create_key
from devstack.stack import LocalStack, StackOptions

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "audio"
CLIPS = ["ls_1089-134686-0000.flac", "ls_2412-153948-0000.flac", "speech.mp3"]
NAMED_AUDIO = "custom_model_names.ogg"  # synthetic speech full of a router vendor's names
# That customer's historical text, one sentence a line: the names, none of the audio's sentences.
HISTORY = (SAMPLES / "custom_model_history.txt").read_text().splitlines()


def run(args: argparse.Namespace) -> None:
    import assemblyai as aai


    print("starting the local stack (moto, the Hark API, the local SageMaker runner) ...", flush=True)
    # The app's CloudWatch metric lines would drown the demo's own output.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    # The demo does not stream: its streaming service takes any free port.
    stack = LocalStack(StackOptions(api_port=args.port, moto_port=args.moto_port, streaming_port=0)).start()
    try:
        aai.settings.base_url = stack.api_url
        aai.settings.api_key = create_key(DEV_TENANT)
        aai.settings.polling_interval = 0.5
        references = json.loads((SAMPLES / "references.json").read_text())
        for clip in CLIPS:
            started = time.monotonic()
            transcript = aai.Transcriber().transcribe(str(SAMPLES / clip))
            took = time.monotonic() - started
            print(f"\n== {clip}  ({transcript.status.value}, {transcript.audio_duration} s of audio in {took:.1f} s)")
            if transcript.error:
                print(f"   error:     {transcript.error}")
            print(f"   transcript: {transcript.text}")
            if clip in references:
                print(f"   reference:  {references[clip]}")
        custom_model(aai, stack.api_url, aai.settings.api_key)
    finally:
        stack.stop()


def custom_model(aai: object, api_url: str, key: str) -> None:
    """Train a custom model from sample text, then transcribe the same audio without and with it."""
    print(
        f"\n== custom model: training from {len(HISTORY)} sentences of a customer's text ...",
        flush=True,
    )
    with httpx.Client(base_url=api_url, headers={"authorization": key}, timeout=60) as http:
        model = http.post("/v2/model", json={"name": "router vendor", "texts": HISTORY}).json()
        while model["status"] not in ("ready", "error"):
            time.sleep(0.5)
            model = http.get(f"/v2/model/{model['id']}").json()
    if model["status"] == "error":
        print(f"   training failed: {model['error']}")
        return
    phrases = ", ".join(p["text"] for p in model["metrics"]["domain_phrases"][:8])
    print(f"   model {model['id']} ready; domain phrases found: {phrases}")
    if model["metrics"].get("adapted_decoder"):
        print(f"   decoder adapted in {model['metrics']['adapt_seconds']:.0f} s")
    elif "adapt_skipped" in model["metrics"]:  # why not, and how to ask for it
        print(f"   decoder not adapted: {model['metrics']['adapt_skipped']}")
    audio = str(SAMPLES / NAMED_AUDIO)
    without = aai.Transcriber().transcribe(audio).text or ""  # type: ignore[attr-defined]
    # The official SDK drops fields it does not know: `domain` carries the model's id.
    config = aai.TranscriptionConfig(domain=model["id"])  # type: ignore[attr-defined]
    with_model = aai.Transcriber().transcribe(audio, config).text or ""  # type: ignore[attr-defined]
    print(f"\n== {NAMED_AUDIO}")
    print(f"   without the model: {without}")
    print(f"   with the model:    {with_model}")
    print(f"   difference:        {word_diff(without, with_model)}")


def word_diff(before: str, after: str) -> str:
    """The words that changed, as [-before +after] in the flow of the text."""
    a, b = before.split(), after.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.extend(a[i1:i2])
        else:
            out.append(f"[-{' '.join(a[i1:i2])} +{' '.join(b[j1:j2])}]".replace("[- ", "[").replace(" +]", "]"))
    return " ".join(out)
