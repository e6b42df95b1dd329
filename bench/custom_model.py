"""Custom models, measured end to end on real recordings: what the service runs, nothing else.

    python -m bench.custom_model [--boost low|default|high] [--groups Twitter_2016Q4 AMZN_2016Q4]

For each earnings group of the dev set (../shared/data, override with HARK_BENCH_DATA), a model
is built with `sagemaker_jobs.asr.custom.build` from the group's training text (every sentence
of the call that is not a test clip), and the test clips are transcribed by the real `Engine`
without and with it (`decode_options` before, `correct` after: exactly the service's path).
It prints:

- WER without vs with, and the relative reduction;
- the domain-term error rate without vs with. A DOMAIN TERM is a reference word, after
  whisper_normalizer's EnglishTextNormalizer, that has a letter and is not among wordfreq's
  20,000 most frequent English words (`wordfreq.top_n_list("en", 20000)`); its error rate is
  the share of such reference words that the alignment does not mark as correct;
- the gain of a model built from only the first 5 training sentences;
- LibriSpeech WER without vs with an UNRELATED model (the first group's), relative change;
- decode time with vs without a model, same clips, same run, each clip decoded both ways
  back to back (alternating which goes first) so machine load hits both alike;
- the time to build a model from a 10,000-word corpus (the training text repeated);
- the SWAPPED split, for a call whose whole text is known (Twitter): test on the train
  half's clips with a model from every other sentence of the call, and both splits pooled;
- LONG-FORM: the same test clips joined in call order into recordings of up to 14 clips
  (1.5-3 min), WER without vs with, because calls are long and a model must keep helping
  (and not hurt) past the first 30-second window.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.data import data_dir
from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.custom import Artifact, RequestOptions, build, decode_options, transcribe
from sagemaker_jobs.asr.engine import DecodeOptions, Engine, EngineSettings
from sagemaker_jobs.train.scoring import relative_reduction as relative
from sagemaker_jobs.train.scoring import score

GROUPS = ("Twitter_2016Q4", "AMZN_2016Q4")
LONG_FORM_CLIPS = 14
GOALS = {
    "wer_reduction": 0.20,
    "domain_error_reduction": 0.50,
    "librispeech_max_relative_increase": 0.01,
    "decode_time_ratio": 1.5,
    "build_10k_words_s": 120.0,
}


@dataclass
class Clip:
    id: str
    text: str
    samples: object


class Runner:
    def __init__(self, engine: Engine, boost: str, post: bool) -> None:
        self.engine = engine
        self.request = RequestOptions(boost_param=boost)
        self.post = post
        self.time_without = 0.0
        self.time_with = 0.0

    def transcribe(self, clip: Clip, artifact: Artifact | None) -> str:
        if artifact is None:  # exactly what the service runs without a model
            return self.engine.transcribe(clip.samples, DecodeOptions()).text
        if not self.post:  # biased decoding alone, to measure what the rest adds
            return self.engine.transcribe(clip.samples, decode_options(artifact, self.request)).text
        return transcribe(self.engine, clip.samples, artifact, self.request).text

    def paired(self, clips: Sequence[Clip], artifact: Artifact) -> tuple[list[str], list[str]]:
        """Each clip without and with the model, back to back, alternating which goes first."""
        without, with_model = [], []
        for i, clip in enumerate(clips):
            order = (None, artifact) if i % 2 == 0 else (artifact, None)
            for model in order:
                started = time.perf_counter()
                text = self.transcribe(clip, model)
                elapsed = time.perf_counter() - started
                if model is None:
                    without.append(text)
                    self.time_without += elapsed
                else:
                    with_model.append(text)
                    self.time_with += elapsed
        return without, with_model


def load_data() -> tuple[dict[str, dict], dict[str, dict], dict[str, list[str]], dict[str, list[str]]]:
    """(clips, splits, each group's training text, and for groups whose whole call text is
    known the SWAPPED split's training text: every sentence but the train half's)."""
    directory = data_dir()
    with open(directory / "manifest.jsonl") as f:
        rows = {row["id"]: row for row in map(json.loads, f) if row}
    splits = json.loads((directory / "custom_model_splits.json").read_text())
    texts, swapped = {}, {}
    for group, split in splits.items():
        test = set(split["test_ids"])
        all_text = directory / "earnings_texts" / f"{group}.jsonl"
        if all_text.is_file():
            with open(all_text) as f:
                sentences = [s for s in map(json.loads, f)]
            texts[group] = [s["text"] for s in sentences if s["id"] not in test]
            swapped[group] = [s["text"] for s in sentences if s["id"] not in set(split["train_ids"])]
        else:
            texts[group] = [rows[i]["text"] for i in split["train_ids"]]
    return rows, splits, texts, swapped


def run(groups: Sequence[str], boost: str, post: bool) -> dict[str, object]:
    rows, splits, train_texts, swapped_texts = load_data()
    directory = data_dir()
    settings = EngineSettings.from_env(os.environ)
    engine = Engine(settings)
    runner = Runner(engine, boost, post)
    pipeline = "apply.transcribe" if post else "hotwords only"
    print(f"custom models: engine {settings.model_name} beam {settings.beam_size}, boost_param={boost}, {pipeline}")

    def clips(ids: Sequence[str]) -> list[Clip]:
        return [Clip(i, rows[i]["text"], audio.decode((directory / rows[i]["audio"]).read_bytes())) for i in ids]

    summary: dict[str, object] = {}
    first_model = None
    for group in groups:
        texts = train_texts[group]
        artifact, metrics = build(texts)
        first_model = first_model or artifact
        test = clips(splits[group]["test_ids"])
        refs = [c.text for c in test]
        without, with_model = runner.paired(test, artifact)
        base, full = score(refs, without), score(refs, with_model)
        boot_artifact, _ = build(texts[:5])
        boot = score(refs, [runner.transcribe(c, boot_artifact) for c in test])
        minutes = sum(rows[c.id]["duration_s"] for c in test) / 60
        print(
            f"\n{group}: model from {metrics['corpus_sentences']} sentences / {metrics['corpus_words']} words"
            f" (held-out perplexity {metrics['heldout_perplexity']}, OOV {metrics['heldout_oov_rate']});"
            f" test {len(test)} clips, {minutes:.1f} min"
        )
        print(f"  top phrases: {', '.join(p['text'] for p in metrics['domain_phrases'][:15])}")
        print(f"  without model      {base}")
        print(f"  with model         {full}")
        print(f"  5-sentence model   {boot}")
        wer_gain = relative(base.wer, full.wer)
        term_gain = relative(base.domain_error_rate, full.domain_error_rate)
        boot_gain = relative(base.wer, boot.wer)
        print(f"  relative WER reduction {wer_gain:+.1%} (goal >= {GOALS['wer_reduction']:.0%})")
        print(f"  domain-term error reduction {term_gain:+.1%} (goal >= {GOALS['domain_error_reduction']:.0%})")
        print(f"  5-sentence model: relative WER reduction {boot_gain:+.1%} (goal > 0)")
        summary[group] = {"wer_reduction": wer_gain, "domain_error_reduction": term_gain, "boot_reduction": boot_gain}
        if group in swapped_texts:
            # The same call the other way round: test on the train half's audio, with a model
            # from the rest of the call's text. Twice the test audio, and a check that the
            # gain is not a property of one split.
            swapped_model, _ = build(swapped_texts[group])
            other = clips(splits[group]["train_ids"])
            other_refs = [c.text for c in other]
            other_without, other_with = runner.paired(other, swapped_model)
            sb, sf = score(other_refs, other_without), score(other_refs, other_with)
            pooled_b = score(refs + other_refs, without + other_without)
            pooled_f = score(refs + other_refs, with_model + other_with)
            print(f"  swapped split ({len(other)} clips): without {sb}")
            print(f"  swapped split               with    {sf}  relative WER reduction {relative(sb.wer, sf.wer):+.1%}")
            print(
                f"  both splits pooled: WER {pooled_b.wer:.2%} -> {pooled_f.wer:.2%},"
                f" relative {relative(pooled_b.wer, pooled_f.wer):+.1%}; domain-term errors"
                f" {relative(pooled_b.domain_error_rate, pooled_f.domain_error_rate):+.1%}"
            )
            summary[group]["swapped_wer_reduction"] = relative(sb.wer, sf.wer)
            summary[group]["pooled_wer_reduction"] = relative(pooled_b.wer, pooled_f.wer)
        recordings = [test[i : i + LONG_FORM_CLIPS] for i in range(0, len(test), LONG_FORM_CLIPS)]
        if len(recordings) > 1:
            joined = [
                Clip(f"{group}-long{i}", " ".join(c.text for c in r), np.concatenate([c.samples for c in r]))
                for i, r in enumerate(recordings)
            ]
            long_without, long_with = runner.paired(joined, artifact)
            lw, lm = score([c.text for c in joined], long_without), score([c.text for c in joined], long_with)
            lengths = ", ".join(f"{len(c.samples) / 16000:.0f}" for c in joined)
            print(f"  long-form ({len(joined)} recordings of {lengths} s): without {lw}")
            reduction = relative(lw.wer, lm.wer)
            print(f"  long-form                          with    {lm}  relative WER reduction {reduction:+.1%}")
            summary[group]["long_form_reduction"] = reduction

    ls_ids = [i for i, r in rows.items() if r["subset"] == "librispeech_clean"]
    if ls_ids and first_model is not None:
        test = clips(ls_ids)
        without, with_model = runner.paired(test, first_model)
        base, full = score([c.text for c in test], without), score([c.text for c in test], with_model)
        change = (full.wer - base.wer) / base.wer if base.wer else 0.0
        print(f"\nLibriSpeech ({len(test)} clips) with the UNRELATED {groups[0]} model:")
        print(f"  without model      {base}")
        print(f"  with model         {full}")
        print(f"  relative WER change {change:+.1%} (goal <= {GOALS['librispeech_max_relative_increase']:+.0%})")
        summary["librispeech"] = (base.wer, full.wer)

    ratio = runner.time_with / runner.time_without
    print(
        f"\ndecode time, same clips, same run: without {runner.time_without:.1f} s, with {runner.time_with:.1f} s,"
        f" ratio {ratio:.2f} (goal <= {GOALS['decode_time_ratio']})"
    )
    summary["decode_ratio"] = ratio

    corpus, words = [], 0
    source = [t for g in groups for t in train_texts[g]]
    while words < 10000:
        for text in source:
            corpus.append(text)
            words += len(text.split())
    started = time.perf_counter()
    _, metrics = build(corpus)
    build_s = time.perf_counter() - started
    # (The training text repeated: its held-out perplexity means nothing, so it is not shown.)
    print(f"build from {metrics['corpus_words']} words: {build_s:.2f} s (goal < {GOALS['build_10k_words_s']:.0f} s)")
    summary["build_10k_s"] = build_s
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--groups", nargs="+", default=list(GROUPS))
    parser.add_argument("--boost", default="default", choices=("low", "default", "high"))
    parser.add_argument(
        "--no-post",
        action="store_true",
        help="biased decoding alone: no tail rule, no clean-up or respelling (to measure what they add)",
    )
    args = parser.parse_args()
    run(args.groups, args.boost, not args.no_post)


if __name__ == "__main__":
    main()
