"""Adapting the decoder (custom models that fine-tune the speech model): the CTranslate2 model
file read and written, the torch decoder against CTranslate2's own, a real (small) fine-tune on
espeak-ng speech, and the adapted engine loaded and decoding real audio."""

from dataclasses import replace
from pathlib import Path

import ctranslate2
import numpy as np
import pytest

from sagemaker_jobs.asr import audio, ct2_model
from sagemaker_jobs.asr.custom import build, load
from sagemaker_jobs.asr.custom.adapted import AdaptedEngines
from sagemaker_jobs.asr.engine import Engine

torch = pytest.importorskip("torch")
from sagemaker_jobs.asr.custom.adapt import speech  # noqa: E402
from sagemaker_jobs.asr.custom.adapt.decoder import Decoder  # noqa: E402
from sagemaker_jobs.asr.custom.adapt.train import AdaptSettings, adapt  # noqa: E402

TEXTS = [
    "Thanks for calling Zentrix support, this is Dana.",
    "Your Omniflow router needs the Zentrix firmware update.",
    "I have escalated the Omniflow ticket to Kavanaugh Biolabs.",
]


def test_the_model_file_reads_and_writes_back_byte_for_byte(engine: Engine, tmp_path: Path) -> None:
    path = engine.settings.model_dir / ct2_model.MODEL_FILE
    model = ct2_model.read(path)
    assert model.name == "WhisperSpec"
    assert model.variables["decoder/embeddings/weight"].dtype == np.float16
    ct2_model.write(tmp_path / "model.bin", model)
    assert (tmp_path / "model.bin").read_bytes() == path.read_bytes()


def test_weights_put_into_a_copy_of_the_model_must_fit(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ct2_model.ModelFileError, match="not a variable"):
        ct2_model.with_weights(engine.settings.model_dir, {"decoder/layer_norm/gamma": np.ones(3)}, tmp_path / "a")
    with pytest.raises(ct2_model.ModelFileError, match="not a variable"):
        ct2_model.with_weights(engine.settings.model_dir, {"decoder/nothing": np.ones(3)}, tmp_path / "b")
    changed = ct2_model.with_weights(
        engine.settings.model_dir, {"decoder/layer_norm/beta": np.full(384, 0.5)}, tmp_path / "c"
    )
    assert (changed / "tokenizer.json").is_file()
    assert ct2_model.read(changed / "model.bin").variables["decoder/layer_norm/beta"][0] == np.float16(0.5)


def test_the_torch_decoder_writes_what_ctranslate2_writes(engine: Engine, audio_dir: Path) -> None:
    from faster_whisper import WhisperModel

    model = WhisperModel(str(engine.settings.model_dir), device="cpu", compute_type="float32")
    samples = audio.decode((audio_dir / "ls_1089-134686-0000.flac").read_bytes())
    features = model.feature_extractor(samples)[:, :3000]
    features = np.pad(features, ((0, 0), (0, 3000 - features.shape[1])))[None].astype(np.float32)
    view = ctranslate2.StorageView.from_array(features)
    prefix = [model.hf_tokenizer.token_to_id(t) for t in ("<|startoftranscript|>", "<|notimestamps|>")]
    expected = model.model.generate(view, [prefix], beam_size=1)[0].sequences_ids[0]

    decoder = Decoder.from_ctranslate2(ct2_model.read(engine.settings.model_dir / "model.bin").variables).eval()
    encoded = torch.from_numpy(np.array(model.model.encode(view, to_cpu=True)))
    tokens = list(prefix)
    end = model.hf_tokenizer.token_to_id("<|endoftext|>")
    with torch.no_grad():
        while len(tokens) < len(prefix) + len(expected) + 2:
            step = int(decoder(torch.tensor([tokens]), encoded)[0, -1].argmax())
            if step == end:
                break
            tokens.append(step)
    assert tokens[len(prefix) :] == expected
    assert "stew for dinner" in model.hf_tokenizer.decode(expected)


def test_training_windows_are_the_customers_utterances_spoken() -> None:
    assert speech.utterances(["One. Two three.", "  ", "x " * 70]) == [
        "One. Two three.",
        *(["x " * 29 + "x"] * 2),
        "x " * 9 + "x",
    ]
    windows = speech.windows(TEXTS, 3, seed=1)
    assert len(windows) == 3
    for window in windows:
        assert 0 < len(window.samples) <= 30 * speech.SAMPLE_RATE
        assert window.utterances and all(text in TEXTS for text, _, _ in window.utterances)
        starts = [start for _, start, _ in window.utterances]
        assert starts == sorted(starts)
        assert all(end <= len(window.samples) / speech.SAMPLE_RATE + 1e-6 for _, _, end in window.utterances)


def test_a_model_adapts_the_decoder_and_decodes_with_it(engine: Engine, audio_dir: Path, tmp_path: Path) -> None:
    """A real fine-tune, kept small (6 windows, one epoch): the weights it returns are the
    decoder's self-attention, feed-forward and norms only, and the engine made from them loads
    and transcribes real speech."""
    weights = adapt(TEXTS, engine.settings.model_dir, AdaptSettings(windows=6, epochs=1))
    assert weights and all(w.dtype == np.float16 for w in weights.values())
    assert not any("/embeddings/" in n or "/position_encodings/" in n or "/attention/" in n for n in weights)
    assert "decoder/layer_0/self_attention/linear_0/weight" in weights

    artifact, _ = build(TEXTS)
    adapted = replace(
        artifact, decoder_weights=weights, params={**artifact.params, "base_model": engine.settings.model_name}
    )
    adapted.save(tmp_path / "model")
    loaded = load(tmp_path / "model")
    assert loaded.decoder_digest == adapted.decoder_digest
    assert set(loaded.decoder_weights) == set(weights)

    engines = AdaptedEngines(capacity=1)
    adapted_engine = engines.for_model(engine, loaded)
    assert adapted_engine is not engine and adapted_engine.settings.model_name == engine.settings.model_name
    assert engines.for_model(engine, loaded) is adapted_engine  # loaded once
    samples = audio.decode((audio_dir / "ls_1089-134686-0000.flac").read_bytes())
    assert "dinner" in adapted_engine.transcribe(samples).text.lower()
    # No adapted decoder, or one made for another speech model: none.
    assert engines.for_model(engine, artifact) is None
    other = replace(loaded, params={**loaded.params, "base_model": "whisper-base"})
    assert engines.for_model(engine, other) is None


def test_only_audio_of_one_window_is_decoded_with_the_adapted_decoder() -> None:
    """(Fakes: which engine decodes is what is tested.) Longer recordings keep the engine's own
    decoding: with the adapted decoder they got worse (see `apply.transcribe`)."""
    from sagemaker_jobs.asr.custom.apply import ADAPTED_MAX_S, transcribe
    from sagemaker_jobs.asr.result import TranscriptionResult

    class Recording:
        def __init__(self) -> None:
            self.calls = 0

        def transcribe(self, samples: np.ndarray, *args: object, **kwargs: object) -> TranscriptionResult:
            self.calls += 1
            return TranscriptionResult("", (), 0.0, len(samples) / audio.SAMPLE_RATE, "en_us", "fake")

    base, adapted = Recording(), Recording()
    clip = np.zeros(int(ADAPTED_MAX_S * audio.SAMPLE_RATE), np.float32)
    transcribe(base, clip, None, adapted=adapted)  # type: ignore[arg-type]
    assert (base.calls, adapted.calls) == (0, 1)
    transcribe(base, np.concatenate([clip, clip]), None, adapted=adapted)  # type: ignore[arg-type]
    assert (base.calls, adapted.calls) == (1, 1)
