"""Doctor-patient consultations for the custom-model benchmark: long conversations, a large text.

    python -m bench.consultations --source DIR [--force]

The issue that asks for custom models that hold on unseen audio measured real primary-care
consultations (7-12 minutes, a model from the clinic's other transcripts) and found almost no
gain. This builds the nearest thing that can be made here: the transcripts of PriMock57
(Papadopoulos Korfiatis et al., 2022, 57 mock consultations by Babylon clinicians; CC BY 4.0;
https://github.com/babylonhealth/primock57, cloned without its audio, which is under Git LFS)
spoken again by espeak-ng, the doctor and the patient each in a voice of their own, utterance by
utterance in the order of their start times, so each recording is a whole 6-12 minute
conversation with its fillers, repetitions and drug names. A custom model is built from the
other consultations' transcripts (about 80,000 words), as a clinic would upload them.

DIR is the cloned repository (or any folder with its `transcripts/*.TextGrid`); nothing of it
is committed. Recordings are written once into $HARK_BENCH_CACHE/consultations/ (default
~/.cache/hark-bench); `VERSION` regenerates them.

Which recordings do what (fixed before any decode, by a seeded draw): `READ` consultations may be
read to find faults; `REPORT` ones are only ever reported. The model for either is built from
every consultation that is neither.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench import synthetic as syn

VERSION = 1
REPORT_COUNT = 4
READ_COUNT = 2
GAP_S = (0.3, 0.9)
"""The pause between two utterances, drawn per utterance."""
NOISY_SNR_DB = 20.0
_INTERVAL = re.compile(r'xmin = ([\d.]+)\s*\n\s*xmax = ([\d.]+)\s*\n\s*text = "((?:[^"]|"")*)"')


@dataclass(frozen=True)
class Utterance:
    start: float
    role: str
    text: str


@dataclass(frozen=True)
class Consultation:
    id: str
    utterances: tuple[Utterance, ...]

    @property
    def text(self) -> str:
        return " ".join(u.text for u in self.utterances)


def _spoken(raw: str) -> str:
    """An utterance's words: the transcribers' tags out (`<UNIN/>` unintelligible, `<UNSURE>`
    around a guess, whose words stay), doubled quotes undone."""
    text = re.sub(r"<UNIN/>|</?UNSURE>|<[^>]{0,30}>", " ", raw.replace('""', '"'))
    return " ".join(text.split())


def read_source(source: Path) -> list[Consultation]:
    """Every consultation of the PriMock57 tree at `source`, utterances of both sides in order."""
    folder = source / "transcripts" if (source / "transcripts").is_dir() else source
    by_id: dict[str, list[Utterance]] = {}
    for path in sorted(folder.glob("*.TextGrid")):
        stem, _, role = path.stem.rpartition("_")
        for start, _end, raw in _INTERVAL.findall(path.read_text(encoding="utf-8", errors="replace")):
            text = _spoken(raw)
            if re.search(r"[A-Za-z]", text):
                by_id.setdefault(stem, []).append(Utterance(float(start), role, text))
    return [Consultation(k, tuple(sorted(v, key=lambda u: (u.start, u.role)))) for k, v in sorted(by_id.items())]


def roles(ids: list[str]) -> dict[str, str]:
    """REPORT, READ or TRAIN for each consultation id: a fixed draw, made before any decode."""
    drawn = random.Random("primock57-roles").sample(sorted(ids), REPORT_COUNT + READ_COUNT)
    out = {i: "TRAIN" for i in ids}
    out.update({i: "REPORT" for i in drawn[:REPORT_COUNT]})
    out.update({i: "READ" for i in drawn[REPORT_COUNT:]})
    return out


def cache_dir() -> Path:
    return syn.cache_root().parent / "consultations"


def _render(c: Consultation, out: Path, noise: tuple[Path, float, float]) -> None:
    rng = random.Random(f"primock57:{c.id}")
    doctor, patient = rng.sample(syn.VOICES, 2)
    voices = {"doctor": (doctor, rng.randint(*syn.SPEED_WPM)), "patient": (patient, rng.randint(*syn.SPEED_WPM))}
    noisy = rng.random() < syn.NOISY_SHARE
    pieces: list[np.ndarray] = []
    with tempfile.TemporaryDirectory(prefix="hark-consult-") as tmp:
        for index, u in enumerate(c.utterances):
            voice, speed = voices.get(u.role, voices["patient"])
            render = syn._Render(voice, speed, NOISY_SNR_DB if noisy else None, phone=False)
            clip = Path(tmp) / f"{index}.wav"
            syn._render_clip(syn._Sentence(u.text, u.text, ()), render, clip, noise, rng.random())
            samples, rate = syn._read_wav(clip)
            pieces.append(samples)
            pieces.append(np.zeros(int(rng.uniform(*GAP_S) * rate), dtype=np.int16))
    syn._write_wav(out, np.concatenate(pieces), syn.RATE)


def build(source: Path, force: bool = False) -> Path:
    """Renders the READ and REPORT consultations and writes the manifest; returns the folder."""
    directory = cache_dir()
    stamp = directory / "done.json"
    if not force and stamp.is_file() and json.loads(stamp.read_text()).get("version") == VERSION:
        return directory
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    consultations = read_source(source)
    if len(consultations) < REPORT_COUNT + READ_COUNT + 10:
        raise SystemExit(f"{source}: found {len(consultations)} consultations; expected PriMock57's 57")
    role_of = roles([c.id for c in consultations])
    noise = syn._noise_bank(directory)
    rows = []
    for c in consultations:
        row = {"id": c.id, "role": role_of[c.id], "text": c.text}
        if role_of[c.id] != "TRAIN":
            row["audio"] = f"{c.id}.wav"
            _render(c, directory / row["audio"], noise)
            print(f"{c.id}: {role_of[c.id]}, {syn._duration(directory / row['audio']):.0f} s", flush=True)
        rows.append(row)
    (directory / "manifest.json").write_text(json.dumps(rows, indent=1))
    stamp.write_text(json.dumps({"version": VERSION}))
    return directory


def load() -> list[dict]:
    """The manifest rows (id, role, text, audio for READ/REPORT); build first."""
    path = cache_dir() / "manifest.json"
    if not path.is_file():
        raise SystemExit("no consultations yet: python -m bench.consultations --source <primock57 clone>")
    return json.loads(path.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="a clone of PriMock57 (text only)")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args()
    print(build(args.source, args.force))


if __name__ == "__main__":
    main()
