"""Custom models against the one-line baseline, on sets the method was and was not tuned on.

    python -m bench.custom_model [--sets twitter atc_test_long ...] [--atc-clips 15]

Every row runs, in one process on the same clips: the engine alone ("none"), the simplest thing
a faster-whisper user can do ("prompt": the model's phrases, customer's explicit ones first,
as `initial_prompt`, at most 600 characters), and Hark (`sagemaker_jobs.asr.custom.apply.transcribe`,
exactly the service's path, with a model `build` made from the set's text). With `--adapt`, the
decoder is adapted to the set's text too (`adapt.train`, as the training job does): "adapted"
decodes with it alone, "hark+adapted" with the two passes on top.

Sets, and what each was used for (the method's settings were chosen on the TUNE sets only):
- twitter (TUNE): Twitter Q4 2016 call, 42 test clips, model from the rest of the call's text;
  twitter_long: the same clips joined in order into recordings of about 3.5 min.
  twitter_sN: the clips with a model from only the first N sentences of that text.
- twitter_swapped (same call, other half; not used for choices but not independent either).
- atc_dev (TUNE): air-traffic radio of 3 train regions, model from the other 25 regions' text.
- amzn (REPORT): Amazon call, 9 clips, model from its 9 training clips' text.
- atc_test / atc_test_long (REPORT): radio of the 3 test regions (clips: the first N per region;
  long: each region's clips joined, 3.4-6 min), model from all 28 train regions' text.
- librispeech (REPORT): 8 read-speech clips with the UNRELATED Twitter model.
- syn_<customer>_<model> (devops TUNE; pharmacy, brands, insurance, vet REPORT; vet was added
  after the others had been looked at, to report a choice on a customer nobody had seen): espeak-ng customers
  (bench/synthetic.py); model `text` from 80 transcript sentences, `t30` from the 30-32 term list,
  `t1000` from the terms hidden among 970 distractors (shuffled), `s5` (any `sN`) from only the
  first 5 of the 80 transcript sentences (does a model from a handful of transcripts still gain?). Term
  recall is the share of spoken terms found; "no-term WER" is the WER of the 15 sentences
  without any term.

- consult (REPORT), consult_read (READ): espeak-ng renderings of whole doctor-patient
  consultations (bench/consultations.py; 11-16 min each), model from the other 51 consultations'
  transcripts (about 76,000 words).

- <set>_list (any set but the synthetic ones, e.g. twitter_list, atc_test_list): the same audio
  with a phrase-list model of up to 1,000 phrases mined from the set's text, no sentences.

Scoring: whisper-normalizer + jiwer (sagemaker_jobs.train.scoring). Decode time is summed per
condition; the build time for 350k words is measured on the radio and call text repeated.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from bench.data import data_dir
from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.custom import Artifact, RequestOptions, build
from sagemaker_jobs.asr.custom.adapted import AdaptedEngines
from sagemaker_jobs.asr.custom.apply import transcribe
from sagemaker_jobs.asr.custom.corpus import parse
from sagemaker_jobs.asr.custom.mining import mine
from sagemaker_jobs.asr.engine import DecodeOptions, Engine, EngineSettings
from sagemaker_jobs.asr.layout import one_decode_per_core
from sagemaker_jobs.train.scoring import score

ATC_DEV_REGIONS = ("australia", "newzealand", "singapore")
PROMPT_CHARS = 400
"""About 100 tokens: what fits comfortably in Whisper's 224-token prompt (600 characters made the
prompted tiny.en append runs of ". . ." to most clips)."""
TEXT_PROMPT_WORDS = 80
GAP_S = 0.6
LIST_PHRASES = 1000


@dataclass
class Item:
    id: str
    text: str
    load: Callable[[], np.ndarray]
    terms: tuple[str, ...] | None = None


@dataclass
class BenchSet:
    name: str
    role: str
    texts: list[str]
    items: list[Item]
    phrases: list[str] = field(default_factory=list)


def _file(path: Path) -> Callable[[], np.ndarray]:
    return lambda: audio.decode(path.read_bytes())


def _joined(name: str, role: str, source: BenchSet, key: Callable[[Item], str], max_s: float) -> BenchSet:
    """The clips of `source` joined in order into recordings of at most `max_s` per group."""
    groups: list[list[tuple[Item, np.ndarray]]] = []
    current_key, length = None, 0.0
    for item in source.items:
        samples = item.load()
        seconds = len(samples) / 16000 + GAP_S
        if not groups or key(item) != current_key or length + seconds > max_s:
            groups.append([])
            current_key, length = key(item), 0.0
        groups[-1].append((item, samples))
        length += seconds
    gap = np.zeros(int(GAP_S * 16000), dtype=np.float32)
    items = []
    for index, group in enumerate(groups):
        joined = np.concatenate([part for _, samples in group for part in (samples, gap)])
        items.append(Item(f"{name}-{index}", " ".join(i.text for i, _ in group), lambda j=joined: j))
    return BenchSet(name, role, source.texts, items, source.phrases)


def _manifest(directory: Path) -> dict[str, dict]:
    with open(directory / "manifest.jsonl") as f:
        return {row["id"]: row for row in map(json.loads, f) if row}


def earnings(group: str, swapped: bool = False) -> BenchSet:
    directory = data_dir()
    rows = _manifest(directory)
    split = json.loads((directory / "custom_model_splits.json").read_text())[group]
    test_ids = split["train_ids"] if swapped else split["test_ids"]
    all_text = directory / "earnings_texts" / f"{group}.jsonl"
    if all_text.is_file():
        with open(all_text) as f:
            texts = [s["text"] for s in map(json.loads, f) if s["id"] not in set(test_ids)]
    else:
        texts = [rows[i]["text"] for i in split["train_ids"]]
    items = [Item(i, rows[i]["text"], _file(directory / rows[i]["audio"])) for i in test_ids]
    return BenchSet(group, "", texts, items)


def atc(test: bool, per_region: int | None) -> BenchSet:
    directory = data_dir() / "atc"
    with open(directory / "manifest.jsonl") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    split = json.loads((directory / "splits.json").read_text())
    audio_regions = set(split["test_regions"]) if test else set(ATC_DEV_REGIONS)
    text_regions = set(split["train_regions"]) - audio_regions
    texts = [r["text"] for r in rows if r["region"] in text_regions]
    taken: dict[str, int] = {}
    items = []
    for r in rows:
        if r["region"] in audio_regions and r["duration_s"] <= 30:
            taken[r["region"]] = taken.get(r["region"], 0) + 1
            if per_region is None or taken[r["region"]] <= per_region:
                items.append(Item(r["id"], r["text"], _file(directory / r["audio"])))
    return BenchSet("atc", "", texts, items)


def synthetic(customer: str, model: str, long: bool = False) -> BenchSet:
    from bench import synthetic as syn

    c = syn.load(customer)
    clips = c.long_recordings if long else c.clips
    items = [Item(x.id, x.text, _file(x.audio), tuple(x.terms)) for x in clips]
    phrases: list[str] = []
    if model == "t30":
        phrases = list(c.terms)
    elif model == "t1000":
        phrases = list(c.terms) + list(c.distractors)
        random.Random(1000).shuffle(phrases)  # the terms must not lead the list
    texts: list[str] = []
    if model == "text":
        texts = list(c.train_texts)
    elif model[:1] == "s" and model[1:].isdigit():  # s5, s20: a model from the first N sentences
        texts = list(c.train_texts[: int(model[1:])])
    # devops chose the methods; vet's recordings were read to find faults (2026-12-05, 2026-12-07),
    # so its figures are diagnostic, not results; the others have only ever been reported.
    role = {"devops": "TUNE", "vet": "READ"}.get(customer, "REPORT")
    return BenchSet(f"syn_{customer}_{model}{'_long' if long else ''}", role, texts, items, phrases)


def consultations(name: str) -> BenchSet:
    """Whole consultations (bench/consultations.py), a model from every other one's transcript."""
    from bench import consultations as consult

    rows = consult.load()
    role = "READ" if name.endswith("_read") else "REPORT"
    texts = [r["text"] for r in rows if r["role"] == "TRAIN"]
    items = [Item(r["id"], r["text"], _file(consult.cache_dir() / r["audio"])) for r in rows if r["role"] == role]
    return BenchSet(name, role, texts, items)


def make_set(name: str, atc_clips: int) -> BenchSet:
    if name.endswith("_list") and not name.startswith("syn_"):
        # The same audio with a phrase-list model instead: up to 1,000 phrases mined from the
        # set's text, no sentences (a customer's keyword list, long enough not to fit a window).
        s = make_set(name.removesuffix("_list"), atc_clips)
        corpus = parse(s.texts, s.phrases)
        phrases = [p.text for p in mine(corpus.sentences, corpus.phrases, limit=LIST_PHRASES)]
        return replace(s, name=name, texts=[], phrases=phrases)
    if name == "twitter":
        s = earnings("Twitter_2016Q4")
        s.name, s.role = name, "TUNE"
        return s
    if name.startswith("twitter_s") and name[9:].isdigit():  # a model from the first N sentences
        s = earnings("Twitter_2016Q4")
        s.name, s.role, s.texts = name, "TUNE", s.texts[: int(name[9:])]
        return s
    if name == "twitter_long":
        return _joined(name, "TUNE", earnings("Twitter_2016Q4"), lambda i: "", 220)
    if name == "twitter_swapped":
        s = earnings("Twitter_2016Q4", swapped=True)
        s.name, s.role = name, "same call"
        return s
    if name == "amzn":
        s = earnings("AMZN_2016Q4")
        s.name, s.role = name, "REPORT"
        return s
    if name == "atc_dev":
        s = atc(False, 15)
        s.name, s.role = name, "TUNE"
        return s
    if name == "atc_test":
        s = atc(True, atc_clips)
        s.name, s.role = name, "REPORT"
        return s
    if name == "atc_test_long":
        return _joined(name, "REPORT", atc(True, None), lambda i: i.id.split("/")[0], 400)
    if name == "librispeech":
        directory = data_dir()
        rows = _manifest(directory)
        items = [
            Item(i, r["text"], _file(directory / r["audio"]))
            for i, r in rows.items()
            if r["subset"] == "librispeech_clean"
        ]
        return BenchSet(name, "REPORT (unrelated Twitter model)", earnings("Twitter_2016Q4").texts, items)
    if name in ("consult", "consult_read"):
        return consultations(name)
    if name.startswith("syn_"):
        _, customer, model, *rest = name.split("_")
        return synthetic(customer, model, long=rest == ["long"])
    raise SystemExit(f"unknown set {name!r}")


def one_line_prompt(s: BenchSet) -> str:
    """What a user would write: the list's phrases, else the text's rare words, as a prompt."""
    corpus = parse(s.texts, s.phrases)
    phrases = [p.text for p in mine(corpus.sentences, corpus.phrases, limit=300)]
    out: list[str] = []
    for phrase in phrases:
        if sum(len(p) + 2 for p in out) + len(phrase) > PROMPT_CHARS:
            break
        out.append(phrase)
    return ", ".join(out)


def text_prompt(s: BenchSet, words: int = TEXT_PROMPT_WORDS) -> str:
    """The other one-liner: the last `words` words of the customer's own transcripts."""
    tail = " ".join(s.texts).split()[-words:]
    return " ".join(tail)


@dataclass
class Outcome:
    hyps: list[str]
    seconds: float


BASELINES = ("prompt", "hotwords", "text")


def run_set(engine: Engine, s: BenchSet, adapt: bool = False) -> dict[str, Outcome]:
    artifact, _ = build(s.texts, s.phrases)
    phrases = one_line_prompt(s)
    conditions: dict[str, Callable[[np.ndarray], str]] = {
        "none": lambda x: engine.transcribe(x).text,
        "prompt": lambda x: engine.transcribe(x, DecodeOptions(initial_prompt=phrases)).text,
        "hotwords": lambda x: engine.transcribe(x, DecodeOptions(hotwords=phrases)).text,
    }
    if s.texts:
        conditions["text"] = lambda x: engine.transcribe(x, DecodeOptions(initial_prompt=text_prompt(s))).text
    conditions["hark"] = lambda x: transcribe(engine, x, artifact, RequestOptions()).text
    if adapt:
        adapted = adapted_model(engine, s, artifact)
        adapted_engine = AdaptedEngines().for_model(engine, adapted)
        conditions["adapted"] = lambda x: adapted_engine.transcribe(x).text
        conditions["hark+adapted"] = lambda x: transcribe(
            engine, x, adapted, RequestOptions(), adapted=adapted_engine
        ).text
    out = {name: Outcome([], 0.0) for name in conditions}
    for item in s.items:
        samples = item.load()
        for name, decode in conditions.items():
            # Each condition encodes the audio itself, as a request arriving alone would: the
            # engine keeps the last windows' encoder outputs, and the condition after "none" on
            # the same clip used to find them ready (a short clip's encode is about 70 % of its
            # plain decode), which made every condition but "none" look faster than it is.
            engine.forget_encodings()
            started = time.perf_counter()
            out[name].hyps.append(decode(samples))
            out[name].seconds += time.perf_counter() - started
    return out


def adapted_model(engine: Engine, s: BenchSet, artifact: Artifact) -> Artifact:
    """`artifact` with the decoder adapted to the set's text, as the training job does it."""
    from sagemaker_jobs.asr.custom.adapt.train import adapt

    started = time.perf_counter()
    weights = adapt([*s.texts, *(f"{p}." for p in s.phrases)], engine.settings.model_dir)
    print(f"| {s.name} | adapting the decoder took {time.perf_counter() - started:.0f} s | | | | | | | | |", flush=True)
    return replace(artifact, decoder_weights=weights, params={**artifact.params, "base_model": engine.settings.model_name})


def recall(s: BenchSet, hyps: Sequence[str]) -> str:
    from bench.synthetic import term_recall

    found = total = 0
    for item, hyp in zip(s.items, hyps):
        f, t = term_recall(hyp, item.terms or ())
        found, total = found + f, total + t
    return f"{found / total:.2f}" if total else "-"


def report(s: BenchSet, out: dict[str, Outcome]) -> list[str]:
    refs = [i.text for i in s.items]
    base = score(refs, out["none"].hyps)
    rows = []
    for name, outcome in out.items():
        sc = score(refs, outcome.hyps)
        change = (sc.wer - base.wer) / base.wer if base.wer else 0.0
        per_item = [score([r], [h]).wer for r, h in zip(refs, outcome.hyps)]
        per_base = [score([r], [h]).wer for r, h in zip(refs, out["none"].hyps)]
        worse = sum(1 for a, b in zip(per_item, per_base) if a > b * 1.02 and a - b > 1e-9)
        cells = [s.name, s.role, str(len(s.items)), name, f"{sc.wer:.2%}", f"{change:+.1%}", f"{worse}"]
        if s.items[0].terms is not None:
            cells.append(recall(s, outcome.hyps))
            no_term = [(r, h) for r, h, i in zip(refs, outcome.hyps, s.items) if not i.terms]
            cells.append(f"{score(*zip(*no_term)).wer:.2%}" if no_term else "-")
        else:
            cells += ["", ""]
        cells.append(f"{outcome.seconds:.1f}")
        rows.append("| " + " | ".join(cells) + " |")
    rows.append(summary(s, out, refs, base.wer))
    return rows


def summary(s: BenchSet, out: dict[str, Outcome], refs: list[str], base_wer: float) -> str:
    """Hark's relative cut next to the best one-line baseline's, and the decode-time ratio."""

    def cut(name: str) -> float:
        return (score(refs, out[name].hyps).wer - base_wer) / base_wer if base_wer else 0.0

    best = min((name for name in BASELINES if name in out), key=cut)
    hark = "hark+adapted" if "hark+adapted" in out else "hark"
    time_ratio = out[hark].seconds / out["none"].seconds if out["none"].seconds else 0.0
    return (
        f"| {s.name} | summary | | {hark} {cut(hark):+.1%} vs best baseline ({best}) {cut(best):+.1%}:"
        f" {100 * (cut(hark) - cut(best)):+.1f} points | | | | | | time x{time_ratio:.2f} |"
    )


def build_time(words: int = 350_000) -> str:
    texts = atc(True, 0).texts + earnings("Twitter_2016Q4").texts
    corpus, count, round_ = [], 0, 0
    while count < words:
        for text in texts:
            corpus.append(f"{text} (call {round_})")  # distinct sentences, as real transcripts are
            count += len(text.split()) + 2
        round_ += 1
    started = time.perf_counter()
    artifact, metrics = build(corpus)
    seconds = time.perf_counter() - started
    return (
        f"build from {metrics['corpus_words']} words: {seconds:.1f} s, {len(artifact.phrases)} phrases,"
        f" {metrics['context_sentences']} context sentences (goal < 300 s)"
    )


DEFAULT_SETS = (
    "twitter",
    "twitter_long",
    "twitter_swapped",
    "amzn",
    "librispeech",
    "atc_test",
    "atc_test_long",
    "syn_pharmacy_t30",
    "syn_pharmacy_t1000",
    "syn_brands_t30",
    "syn_brands_t1000",
    "syn_insurance_t30",
    "syn_insurance_t1000",
    "syn_brands_text",
    "syn_insurance_s5",
    "syn_pharmacy_t1000_long",
    "syn_freight_text",
    "syn_freight_text_long",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS))
    parser.add_argument("--atc-clips", type=int, default=15, help="atc_test clips per region")
    parser.add_argument("--no-build-time", action="store_true")
    parser.add_argument(
        "--adapt", action="store_true", help="also adapt the decoder (adapted: alone; hark+adapted: with the two passes)"
    )
    args = parser.parse_args()
    # Laid out as the inference container lays it (one single-threaded decode per core on a CPU).
    settings = EngineSettings.from_env(one_decode_per_core(os.environ))
    engine = Engine(settings)
    print(
        f"custom models: {settings.model_name} beam {settings.beam_size}, {settings.workers} decoder(s) of"
        f" {settings.cpu_threads or 'default'} thread(s); one-line baseline: initial_prompt of {PROMPT_CHARS} chars"
    )
    print("| set | role | items | condition | WER | vs none | items worse >2% | term recall | no-term WER | decode s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.sets:
        s = make_set(name, args.atc_clips)
        for row in report(s, run_set(engine, s, args.adapt)):
            print(row, flush=True)
    if not args.no_build_time:
        print(build_time())


if __name__ == "__main__":
    main()
