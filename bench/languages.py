"""Hark's two base models side by side, and language detection on real speakers.

    python -m bench.languages [--clips DIR [--api]] [--earnings 40] [--atc 30]

1. English, same run: WER and real-time factor of whisper-tiny.en and whisper-base on the dev
   calls (earnings clips), air-traffic radio (atc/ test regions) and LibriSpeech, decoded as the
   container decodes English (`Engine.transcribe`, language English).
2. Other languages, with `--clips`: a directory with a manifest.jsonl of real recordings
   ({"path", "language", "text"} per line, e.g. FLEURS and LibriVox clips; none are committed).
   Each is decoded as the container does with `language_detection: true` (`detect_language`,
   then `speaking(language).transcribe`), or with `--api` through the API of the local stack
   (`make serve`'s, started by the bench) with the official SDK and
   `TranscriptionConfig(language_detection=True)`: the detected language, its confidence, and
   WER (CER for Chinese, Japanese, Korean and Thai) against the reference.

Scoring: whisper-normalizer + jiwer (`sagemaker_jobs.train.scoring`); for other languages the
basic normaliser (lower case, punctuation removed), as the English one would rewrite them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import jiwer

from bench.data import data_dir
from sagemaker_jobs.asr import audio, speech_models
from sagemaker_jobs.asr.engine import Engine, EngineSettings
from sagemaker_jobs.train.scoring import score

CHARACTER_LANGUAGES = {"zh", "ja", "ko", "th"}


def english_sets(earnings: int, atc: int) -> dict[str, list[tuple[Path, str]]]:
    directory = data_dir()
    with open(directory / "manifest.jsonl") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    sets = {
        "earnings clips": [(directory / r["audio"], r["text"]) for r in rows if r["subset"] == "earnings"][:earnings],
        "librispeech": [(directory / r["audio"], r["text"]) for r in rows if r["subset"] == "librispeech_clean"],
    }
    atc_dir = directory / "atc"
    if (atc_dir / "manifest.jsonl").is_file():
        split = json.loads((atc_dir / "splits.json").read_text())
        with open(atc_dir / "manifest.jsonl") as f:
            radio = [json.loads(line) for line in f if line.strip()]
        test = [r for r in radio if r["region"] in set(split["test_regions"]) and r["duration_s"] <= 30]
        sets["atc test regions"] = [(atc_dir / r["audio"], r["text"]) for r in test[:atc]]
    return sets


def english(engines: dict[str, Engine], sets: dict[str, list[tuple[Path, str]]]) -> None:
    print("| set | clips | audio s | model | WER | x real time |")
    print("|---|---|---|---|---|---|")
    for name, clips in sets.items():
        loaded = [(audio.decode(path.read_bytes()), text) for path, text in clips]
        seconds = sum(len(x) for x, _ in loaded) / audio.SAMPLE_RATE
        for model, engine in engines.items():
            started = time.perf_counter()
            hyps = [engine.transcribe(x).text for x, _ in loaded]
            took = time.perf_counter() - started
            wer = score([t for _, t in loaded], hyps).wer
            print(f"| {name} | {len(loaded)} | {seconds:.0f} | {model} | {wer:.2%} | {seconds / took:.1f} |", flush=True)


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return re.sub(r"\s+", " ", text).strip()


Decoder = Callable[[Path], tuple[str, float, str]]
"""A clip -> (detected language, its confidence, transcript)."""


def engine_decoder(engine: Engine) -> Decoder:
    def decode(path: Path) -> tuple[str, float, str]:
        samples = audio.decode(path.read_bytes())
        language, confidence = engine.detect_language(samples)
        return language, confidence, engine.speaking(language).transcribe(samples).text

    return decode


@contextmanager
def api_decoder() -> Iterator[Decoder]:
    import assemblyai as aai

    from bench.stack import local_stack

    with local_stack() as stack:
        aai.settings.base_url, aai.settings.api_key, aai.settings.polling_interval = stack.api_url, stack.key, 0.3
        config = aai.TranscriptionConfig(language_detection=True)

        def decode(path: Path) -> tuple[str, float, str]:
            transcript = aai.Transcriber(config=config).transcribe(str(path))
            if transcript.status == aai.TranscriptStatus.error:
                return "error", 0.0, ""
            code = str(transcript.json_response["language_code"])
            return ("en" if code.startswith("en") else code), float(transcript.json_response["language_confidence"] or 0), transcript.text or ""

        yield decode


def other_languages(decode: Decoder, clips_dir: Path) -> None:
    with open(clips_dir / "manifest.jsonl") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    found: Counter[str] = Counter()
    by_language: dict[str, list[tuple[str, str, bool, float]]] = defaultdict(list)
    for row in rows:
        language, confidence, text = decode(clips_dir / row["path"])
        right = language == row["language"]
        found[row["language"]] += right
        by_language[row["language"]].append((row.get("text") or "", text, right, confidence))
        print(f"{row['path']}: detected {language} ({confidence:.2f}) | {text[:90]}", flush=True)
    print()
    print("| language | clips | detected right | mean confidence | error rate (metric) |")
    print("|---|---|---|---|---|")
    total = right_total = 0
    for language, items in sorted(by_language.items()):
        refs = [_plain(r) for r, _, _, _ in items if r]
        hyps = [_plain(h) for r, h, _, _ in items if r]
        metric = "CER" if language in CHARACTER_LANGUAGES else "WER"
        if refs:
            rate = jiwer.cer(refs, hyps) if metric == "CER" else jiwer.wer(refs, hyps)
            error = f"{rate:.1%} ({metric})"
        else:
            error = "-"
        mean = sum(c for _, _, _, c in items) / len(items)
        print(f"| {language} | {len(items)} | {found[language]}/{len(items)} | {mean:.2f} | {error} |")
        total, right_total = total + len(items), right_total + found[language]
    print(f"\nlanguage identification: {right_total}/{total} = {right_total / total:.1%} on {len(by_language)} languages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=Path, help="a directory of real recordings with a manifest.jsonl")
    parser.add_argument("--api", action="store_true", help="the clips through the local stack's API (official SDK)")
    parser.add_argument("--skip-english", action="store_true")
    parser.add_argument("--earnings", type=int, default=40)
    parser.add_argument("--atc", type=int, default=30)
    args = parser.parse_args()
    started = time.perf_counter()
    engines = {name: Engine(EngineSettings.from_env(os.environ, name)) for name in speech_models.NAMES}
    print(f"both models loaded in {time.perf_counter() - started:.1f} s (base joined on first use)\n")
    if not args.skip_english:
        english(engines, english_sets(args.earnings, args.atc))
    if args.clips and args.api:
        print("\nthrough the API (official SDK, language_detection=True):")
        with api_decoder() as decode:
            other_languages(decode, args.clips)
    elif args.clips:
        print()
        other_languages(engine_decoder(engines[speech_models.BASE]), args.clips)


if __name__ == "__main__":
    main()
