"""WER of transcripts made through the API on the local stack vs faster-whisper called directly
with the same model and settings, on the same clips in the same run.

    python -m bench.accuracy [--subset earnings|librispeech_clean|all]
"""
from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence

from bench import raw
from bench.data import ROOT, SUBSETS, Clip, accuracy_clips, data_dir, dev_set_available
from bench.stack import local_stack, transcribe_all
from sagemaker_jobs.train.scoring import score

GOAL_ABS_DIFF = 0.005  # 0.5 % absolute


def corpus_wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    # Scored as training and bench.custom_model score: normalised, clips that normalise to
    # nothing left out (they have no words to miss).
    return score(references, hypotheses).wer


def run(subset: str = "all") -> bool:
    """Prints the comparison; True when every reported difference is within the goal."""
    clips = accuracy_clips(subset)
    if not clips:
        raise SystemExit(f"no clips for subset {subset!r}")
    source = os.path.relpath(data_dir(), ROOT) if dev_set_available() else "tests/fixtures/audio (dev set not found)"
    print(f"accuracy: {len(clips)} clips, {sum(c.duration_s for c in clips) / 60:.2f} min of audio from {source}")

    raw_run = raw.transcribe([c.path for c in clips])
    print(f"  engine: {raw_run.settings}")
    print(f"  raw faster-whisper: {raw_run.wall_s:.1f} s (model load excluded)")
    started = time.perf_counter()
    with local_stack() as stack:
        service_run = transcribe_all(stack, [c.path for c in clips])
    print(f"  service (stack start included): {time.perf_counter() - started:.1f} s")
    errors = [(c.id, b.get("error")) for c, b in zip(clips, service_run.bodies) if b["status"] != "completed"]
    for clip_id, error in errors[:3]:
        print(f"  ERROR {clip_id}: {error}")
    if errors:
        print(f"  {len(errors)} of {len(clips)} transcripts failed in the service (their text counts as empty)")
    service_texts = [str(b.get("text") or "") for b in service_run.bodies]

    groups: list[tuple[str, list[int]]] = [
        (name, [i for i, c in enumerate(clips) if c.subset == name]) for name in SUBSETS
    ]
    groups = [(name, idx) for name, idx in groups if idx]
    if len(groups) > 1:
        groups.append(("pooled", list(range(len(clips)))))
    print(f"{'subset':<18} {'clips':>5} {'min':>6} {'raw WER':>8} {'service':>8} {'abs diff':>9} {'texts differ':>12}")
    ok = not errors
    for name, idx in groups:
        refs = [clips[i].text for i in idx]
        raw_wer = corpus_wer(refs, [raw_run.texts[i] for i in idx])
        service_wer = corpus_wer(refs, [service_texts[i] for i in idx])
        diff = abs(service_wer - raw_wer)
        differ = sum(raw_run.texts[i] != service_texts[i] for i in idx)
        minutes = sum(clips[i].duration_s for i in idx) / 60
        print(
            f"{name:<18} {len(idx):>5} {minutes:>6.2f} {raw_wer:>8.2%} {service_wer:>8.2%} {diff:>9.2%} {differ:>12}"
        )
        ok = ok and diff <= GOAL_ABS_DIFF
    print(f"goal |service - raw| <= {GOAL_ABS_DIFF:.1%} absolute: {'PASS' if ok else 'FAIL'}")
    _show_differences(clips, raw_run.texts, service_texts)
    return ok


def _show_differences(clips: list[Clip], raw_texts: list[str], service_texts: list[str], limit: int = 5) -> None:
    """The first few clips whose transcripts differ, to tell decoding drift from a pipeline bug."""
    shown = 0
    for clip, r, s in zip(clips, raw_texts, service_texts):
        if r != s and shown < limit:
            print(f"  differs {clip.id}:\n    raw:     {r}\n    service: {s}")
            shown += 1


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.accuracy", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subset", choices=(*SUBSETS, "all"), default="all")
    args = parser.parse_args(argv)
    raise SystemExit(0 if run(args.subset) else 1)


if __name__ == "__main__":
    main()
