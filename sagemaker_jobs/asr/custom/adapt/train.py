"""Adapting the speech model's decoder to a customer: a short fine-tune on their text, spoken.

The customer's sentences are spoken by espeak-ng (`speech`), encoded once by the engine's own
audio encoder (CTranslate2), and the decoder is trained for a few epochs to write them. What is
trained and what is not was chosen by measurement (bench/README, custom models, "fine-tuning"):
- the decoder's self-attention, feed-forward and norms learn; the token embeddings (which are
  also the output layer) and the cross-attention (how the decoder reads the audio) stay as they
  are. Trained whole, the decoder learned synthetic speech itself and real calls got worse;
- the loss keeps the base model's own predictions close (a KL term towards the unadapted
  decoder on the same inputs), so the model learns the customer's words without forgetting
  how everything else is said.
The result is the changed weights only (float16, about 14 MB for tiny.en), applied on top of
the base model where the model is used (`adapted`).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sagemaker_jobs.asr import ct2_model
from sagemaker_jobs.asr.custom.adapt import speech
from sagemaker_jobs.asr.custom.adapt.decoder import Decoder

log = logging.getLogger(__name__)

MAX_TOKENS = 448
"""Whisper's decoder positions."""


@dataclass(frozen=True)
class AdaptSettings:
    windows: int = 150
    epochs: int = 3
    learning_rate: float = 3e-5
    batch: int = 8
    keep_close: float = 0.5
    """Weight of the KL term towards the base decoder."""
    seed: int = 0


@dataclass(frozen=True)
class Tokens:
    start: tuple[int, ...]
    """The start of a transcript: <|startoftranscript|>, and on a multilingual model English and the task."""
    end_of_text: int
    start_of_previous: int
    no_timestamps: int
    first_timestamp: int

    @classmethod
    def of(cls, model) -> "Tokens":  # a `faster_whisper.WhisperModel`
        from faster_whisper.tokenizer import Tokenizer

        # (Timestamp tokens are not in tokenizer.json: they follow the special tokens, as here.)
        t = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language="en")
        return cls(tuple(t.sot_sequence), t.eot, t.sot_prev, t.no_timestamps, t.timestamp_begin)


def _trained(name: str) -> bool:
    return name.startswith("decoder/") and not any(
        part in name for part in ("/embeddings/", "/position_encodings/", "/attention/")
    )  # ("/attention/" is the cross-attention; self-attention is "/self_attention/")


def _sequence(window: speech.Spoken, tokenizer, tokens: Tokens, rng: random.Random) -> tuple[list[int], list[int]]:
    """(prefix, target) token ids: what the decoder is given and what it must write."""
    target: list[int] = []
    for text, start, end in window.utterances:
        ids = tokenizer.encode(" " + text).ids
        if window.timestamped:
            target += [
                tokens.first_timestamp + round(start / 0.02),
                *ids,
                tokens.first_timestamp + min(1500, round(end / 0.02)),
            ]
        else:
            target += ids
    prefix = [*tokens.start] + ([] if window.timestamped else [tokens.no_timestamps])
    if window.previous:
        previous = tokenizer.encode(" " + window.previous).ids[-rng.randint(10, 100) :]
        prefix = [tokens.start_of_previous, *previous, *prefix]
    return prefix, [*target, tokens.end_of_text]


def adapt(
    texts: Sequence[str], base_dir: str | Path, settings: AdaptSettings = AdaptSettings()
) -> dict[str, np.ndarray]:
    """The decoder weights adapted to `texts` (CTranslate2 variable name -> float16 array)."""
    from faster_whisper import WhisperModel  # the engine's dependency; imported when training runs

    started = time.perf_counter()
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    spoken = speech.windows(texts, settings.windows, seed=settings.seed)
    if not spoken:
        return {}
    base = WhisperModel(str(base_dir), device="cpu", compute_type="int8")
    tokenizer = base.hf_tokenizer
    tokens = Tokens.of(base)
    # (A window of many short words could outgrow the decoder's 448 positions: left out.)
    kept = [(w, seq) for w in spoken if sum(map(len, seq := _sequence(w, tokenizer, tokens, rng))) <= MAX_TOKENS]
    sequences = [seq for _, seq in kept]
    audio = _encode(base, [w.samples for w, _ in kept])
    rendered = time.perf_counter()

    variables = ct2_model.read(Path(base_dir) / ct2_model.MODEL_FILE).variables
    decoder, reference = Decoder.from_ctranslate2(variables), Decoder.from_ctranslate2(variables).eval()
    trained = []
    for name, parameter in decoder.named_weights():
        parameter.requires_grad = _trained(name)
        if parameter.requires_grad:
            trained.append((name, parameter))
    parameters = [p for _, p in trained]
    optimiser = torch.optim.AdamW(parameters, lr=settings.learning_rate, weight_decay=0.0)
    steps = settings.epochs * -(-len(sequences) // settings.batch)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / warmup) * max(0.0, 1 - s / steps)
    )
    order = list(range(len(sequences)))
    decoder.train()
    for epoch in range(settings.epochs):
        rng.shuffle(order)
        total = 0.0
        for first in range(0, len(order), settings.batch):
            batch = order[first : first + settings.batch]
            inputs, labels = _batch([sequences[i] for i in batch], tokens.end_of_text)
            encoded = torch.from_numpy(np.stack([audio[i] for i in batch]))
            logits = decoder(inputs, encoded)
            scored = labels != -100
            loss = F.cross_entropy(logits[scored], labels[scored])
            if settings.keep_close:
                with torch.no_grad():
                    base_logits = reference(inputs, encoded)[scored]
                loss = loss + settings.keep_close * F.kl_div(
                    F.log_softmax(logits[scored], -1),
                    F.log_softmax(base_logits, -1),
                    log_target=True,
                    reduction="batchmean",
                )
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimiser.step()
            schedule.step()
            total += float(loss.detach()) * len(batch)
        log.info("adapting the decoder: epoch %d, loss %.3f", epoch + 1, total / len(order))
    log.info(
        "decoder adapted on %d windows (%.1f min of speech): speech and encoding %.0f s, training %.0f s",
        len(spoken), sum(len(w.samples) for w in spoken) / speech.SAMPLE_RATE / 60,
        rendered - started, time.perf_counter() - rendered,
    )  # fmt: skip
    return {name: p.detach().numpy().astype(np.float16) for name, p in trained}


def _encode(model, windows: Sequence[np.ndarray], batch: int = 4) -> list[np.ndarray]:
    """The encoder's output for each window, padded to 30 s as a decode pads it."""
    from faster_whisper.audio import pad_or_trim

    frames = model.feature_extractor.nb_max_frames
    out = []
    for first in range(0, len(windows), batch):
        features = np.stack([pad_or_trim(model.feature_extractor(w), frames) for w in windows[first : first + batch]])
        out += list(np.array(model.encode(features)))
    return out


def _batch(sequences: Sequence[tuple[list[int], list[int]]], pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder inputs and labels (-100 where nothing is predicted: the prefix and padding)."""
    length = max(len(p) + len(t) for p, t in sequences) - 1
    inputs = torch.full((len(sequences), length), pad, dtype=torch.long)
    labels = torch.full((len(sequences), length), -100, dtype=torch.long)
    for row, (prefix, target) in enumerate(sequences):
        whole = prefix + target
        inputs[row, : len(whole) - 1] = torch.tensor(whole[:-1])
        labels[row, len(prefix) - 1 : len(whole) - 1] = torch.tensor(target)
    return inputs, labels
