from pathlib import Path

import numpy as np
import pytest
from faster_whisper import WhisperModel

from sagemaker_jobs.asr import audio
from sagemaker_jobs.asr.engine import (
    DecodeOptions,
    Engine,
    EngineSettings,
    raw_decode_kwargs,
    raw_model_kwargs,
)
from sagemaker_jobs.asr.errors import InvalidOptionsError
from sagemaker_jobs.asr.result import decoder_words

CLIP = "ls_1089-134686-0002.flac"


@pytest.mark.slow
def test_engine_equals_faster_whisper_called_directly(engine: Engine, audio_dir: Path) -> None:
    # The benchmark's premise: Hark's accuracy is faster-whisper's with the same kwargs.
    result = engine.transcribe(audio.decode((audio_dir / CLIP).read_bytes()))

    model = WhisperModel(**raw_model_kwargs(engine.settings))
    segments, info = model.transcribe(str(audio_dir / CLIP), **raw_decode_kwargs(engine.settings))
    segments = list(segments)

    assert result.text == "".join(segment.text for segment in segments).strip()
    assert [word.text for word in result.words] == [
        word.word.strip() for segment in segments for word in segment.words or ()
    ]
    assert result.audio_duration_s == pytest.approx(info.duration)


@pytest.mark.slow
def test_a_hyphenated_word_is_one_word_as_in_the_text(engine: Engine, audio_dir: Path) -> None:
    # faster-whisper gives "follow-up." as the words "follow" and "-up." (the hyphen is a token
    # of its own); the result keeps the text's words, so the words joined are the text.
    result = engine.transcribe(audio.decode((audio_dir / "house_style.ogg").read_bytes()))

    assert "follow-up." in [word.text for word in result.words], result.words
    assert " ".join(word.text for word in result.words) == result.text
    joined = next(word for word in result.words if word.text == "follow-up.")
    assert joined.start < joined.end


@pytest.mark.slow
def test_result_json_has_the_invocation_contract(engine: Engine, audio_dir: Path, references: dict[str, str]) -> None:
    result = engine.transcribe(audio.decode((audio_dir / CLIP).read_bytes()))

    body = result.to_contract().model_dump(mode="json", exclude_none=True)

    assert set(body) == {"text", "words", "confidence", "audio_duration", "language_code", "language_confidence", "model"}
    assert body["language_code"] == "en_us"
    assert body["model"] == "whisper-tiny.en"
    assert body["audio_duration"] == pytest.approx(6.625)
    assert 0.0 <= body["confidence"] <= 1.0
    assert len(body["words"]) == len(references[CLIP].split())
    for word in body["words"]:
        assert set(word) == {"text", "start", "end", "confidence"}
        assert isinstance(word["start"], int) and isinstance(word["end"], int)
        assert word["text"] == word["text"].strip()


def test_decode_kwargs_are_faster_whisper_defaults_plus_beam_and_word_timestamps() -> None:
    settings = EngineSettings(model_dir=Path("unused"), model_name="m", beam_size=3)

    assert raw_decode_kwargs(settings) == {"beam_size": 3, "word_timestamps": True}
    assert raw_decode_kwargs(settings, DecodeOptions(initial_prompt="Hark, AssemblyAI")) == {
        "beam_size": 3,
        "word_timestamps": True,
        "initial_prompt": "Hark, AssemblyAI",
    }


def test_model_kwargs_pick_int8_on_cpu_and_float16_on_cuda() -> None:
    cpu = EngineSettings(model_dir=Path("m"), model_name="m", device="cpu", cpu_threads=2)
    cuda = EngineSettings(model_dir=Path("m"), model_name="m", device="cuda")
    explicit = EngineSettings(model_dir=Path("m"), model_name="m", device="cpu", compute_type="float32")

    assert raw_model_kwargs(cpu) == {
        "model_size_or_path": "m",
        "device": "cpu",
        "compute_type": "int8",
        "cpu_threads": 2,
        "num_workers": 1,
    }
    assert raw_model_kwargs(cuda)["compute_type"] == "float16"
    assert raw_model_kwargs(explicit)["compute_type"] == "float32"


def test_settings_default_to_the_bundled_tiny_en() -> None:
    settings = EngineSettings.from_env({})

    assert (settings.model_dir / "model.bin").is_file()
    assert settings.model_name == "whisper-tiny.en"
    assert (settings.device, settings.compute_type) == ("auto", "default")
    assert (settings.cpu_threads, settings.beam_size) == (0, 5)


def test_settings_read_the_environment(tmp_path: Path) -> None:
    settings = EngineSettings.from_env(
        {
            "HARK_MODEL_DIR": str(tmp_path / "large-v3"),
            "HARK_DEVICE": "cuda",
            "HARK_COMPUTE_TYPE": "int8_float16",
            "HARK_CPU_THREADS": "8",
            "HARK_BEAM_SIZE": "1",
            "HARK_ENGINE_WORKERS": "2",
        }
    )

    assert settings == EngineSettings(
        model_dir=tmp_path / "large-v3",
        model_name="large-v3",
        device="cuda",
        compute_type="int8_float16",
        cpu_threads=8,
        beam_size=1,
        workers=2,
    )


def test_settings_name_a_bad_number() -> None:
    with pytest.raises(ValueError, match="HARK_BEAM_SIZE"):
        EngineSettings.from_env({"HARK_BEAM_SIZE": "five"})


def test_engine_refuses_a_folder_without_a_model(tmp_path: Path) -> None:
    # Rather than letting faster-whisper try to download a model of that name.
    with pytest.raises(FileNotFoundError, match=r"model\.bin"):
        Engine(EngineSettings(model_dir=tmp_path, model_name="none"))


def test_decode_options_ignore_unknown_keys_and_refuse_wrong_types() -> None:
    assert DecodeOptions.from_mapping({"hotwords": "Hark", "word_boost": ["x"]}) == DecodeOptions(hotwords="Hark")
    with pytest.raises(InvalidOptionsError, match="initial_prompt"):
        DecodeOptions.from_mapping({"initial_prompt": ["not", "a", "string"]})


def test_a_decode_may_override_the_beam_without_counting_as_biased() -> None:
    settings = EngineSettings(model_dir=Path("unused"), model_name="m", beam_size=5)
    greedy = DecodeOptions(beam_size=1)
    assert raw_decode_kwargs(settings, greedy) == {"beam_size": 1, "word_timestamps": True}
    assert not greedy.biased and DecodeOptions(hotwords="Zentrix").biased


@pytest.mark.slow
def test_a_window_is_encoded_once_for_its_decodes_and_scores(
    engine: Engine, audio_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A custom model decodes a clip twice and scores texts against it: its window goes through
    # the encoder once, and every result is what it is without the cache.
    samples = audio.decode((audio_dir / CLIP).read_bytes())
    engine.forget_encodings()
    plain = engine.transcribe(samples)
    biased = engine.transcribe(samples, DecodeOptions(hotwords="Leavitt"))
    scores = engine.log_likelihoods(samples, [plain.text, biased.text])
    engine.forget_encodings()
    encoded: list[np.ndarray] = []
    original = WhisperModel.encode
    monkeypatch.setattr(
        WhisperModel, "encode", lambda self, features: encoded.append(np.array(features)) or original(self, features)
    )

    assert engine.transcribe(samples).text == plain.text
    assert engine.transcribe(samples, DecodeOptions(hotwords="Leavitt")).text == biased.text
    assert engine.log_likelihoods(samples, [plain.text, biased.text]) == scores
    # A biased decode may go on to a window of its own after the clip's last words; the clip's
    # first window is encoded once.
    first = encoded[0]
    assert sum(1 for features in encoded if np.array_equal(features, first)) == 1
    # Forgotten (benchmarks decoding one clip under several conditions), it is encoded again.
    engine.forget_encodings()
    assert engine.transcribe(samples).text == plain.text
    assert sum(1 for features in encoded if np.array_equal(features, first)) == 2


def test_decoder_word_pieces_join_as_the_text_has_them() -> None:
    pieces = [
        (" a", 0.0, 0.2, 0.9),
        (" follow", 0.2, 0.5, 0.8),
        ("-up.", 0.5, 0.7, 0.6),
        (" -", 0.8, 0.9, 0.5),
        (" it", 1.0, 1.1, 0.9),
    ]
    words = decoder_words(pieces)
    assert [w.text for w in words] == ["a", "follow-up.", "-", "it"]  # a spaced dash stays a word
    assert (words[1].start, words[1].end, words[1].confidence) == (200, 700, 0.6)


@pytest.mark.slow
def test_a_long_text_after_a_long_prompt_is_scored_not_refused(engine: Engine, audio_dir: Path) -> None:
    # The decoder has 448 positions. A custom model's confirmation scores a window's text after a
    # prompt of up to 100 phrases; on radio read as strings of digits the text alone took 270
    # tokens and CTranslate2 refused the whole job ("no position encodings ... >= 448").
    samples = audio.decode((audio_dir / CLIP).read_bytes())
    heard = engine.transcribe(samples).text
    digits = " ".join(["6 5, 2 3, one two"] * 45)  # about 300 tokens
    phrases = ", ".join(f"Runway {n} left" for n in range(60))  # about 300 tokens

    short = engine.log_likelihoods(samples, [heard], prompt=phrases)
    scores = engine.log_likelihoods(samples, [heard, digits], prompt=phrases)
    alone = engine.log_likelihoods(samples, [digits * 2])

    assert scores[0] < 0 and scores[1] < scores[0] and alone[0] < 0
    # A text that fits is still scored after its prompt (up to half the context, as in a decode).
    assert short[0] != engine.log_likelihoods(samples, [heard], prompt=phrases[: len(phrases) // 4])[0]
