"""`make demo`: start the local stack and run Hark's main job end to end with the official
AssemblyAI SDK, printing what comes back."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from devstack.stack import LocalStack, StackOptions

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "tests" / "fixtures" / "audio"
CLIPS = ["ls_1089-134686-0000.flac", "ls_2412-153948-0000.flac", "speech.mp3"]


def run(args: argparse.Namespace) -> None:
    import assemblyai as aai

    from devstack.__main__ import DEV_TENANT, create_key

    print("starting the local stack (moto, the Hark API, the local SageMaker runner) ...", flush=True)
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
        print("\nCustom models (train from your text, then transcribe with and without) are the next issue's work.")
    finally:
        stack.stop()
