"""Sentences, paragraphs, captions, word search, listing, deletion, custom spelling and
unformatted text, through the official SDK against the stack and the real engine. Captions
are read back with the `srt` and `webvtt-py` parsers."""
from __future__ import annotations

import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import srt
import webvtt

from tests.e2e.conftest import Stack, submit, upload

FIRST, SECOND = "ls_1089-134686-0000.flac", "ls_2412-153948-0000.flac"
SILENCE_S = 3  # between the two clips: a paragraph break
FIRST_END_MS = 10_440  # the first clip's length


def _word_tuples(words: list[Any]) -> list[tuple[str, int, int]]:
    return [(w.text, w.start, w.end) for w in words]


def _bare(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


@pytest.fixture(scope="module")
def two_clips(sdk: Any, audio_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Two LibriSpeech speakers with silence between them, transcribed once."""
    folder = tmp_path_factory.mktemp("exports")
    silence, audio = folder / "silence.wav", folder / "two_clips.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(silence), "trim", "0", str(SILENCE_S)], check=True)
    subprocess.run(["sox", str(audio_dir / FIRST), str(silence), str(audio_dir / SECOND), str(audio)], check=True)
    transcript = sdk.Transcriber().transcribe(str(audio))
    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    return transcript


def test_sentences_cover_the_words_and_end_at_punctuation(two_clips: Any) -> None:
    sentences = two_clips.get_sentences()

    assert [w for s in sentences for w in _word_tuples(s.words)] == _word_tuples(two_clips.words)
    assert len(sentences) >= 3  # one sentence in the first clip, two or more in the second
    for sentence in sentences:
        assert sentence.text == " ".join(w.text for w in sentence.words)
        assert (sentence.start, sentence.end) == (sentence.words[0].start, sentence.words[-1].end)
        assert 0 < sentence.confidence <= 1
        assert sentence.speaker is None
    assert all(s.text.endswith((".", "?", "!")) for s in sentences)
    assert any(s.end <= FIRST_END_MS and n.start >= FIRST_END_MS + 2000 for s, n in zip(sentences, sentences[1:]))


def test_paragraphs_split_at_the_long_silence(
    two_clips: Any, references: dict[str, str], word_error_rate: Callable[[list[str], list[str]], float]
) -> None:
    paragraphs = two_clips.get_paragraphs()

    assert len(paragraphs) == 2
    assert [w for p in paragraphs for w in _word_tuples(p.words)] == _word_tuples(two_clips.words)
    assert word_error_rate([references[FIRST], references[SECOND]], [p.text for p in paragraphs]) < 0.15
    assert paragraphs[0].end <= FIRST_END_MS < FIRST_END_MS + 2000 <= paragraphs[1].start


def test_srt_is_valid_subrip_timed_by_the_words(two_clips: Any) -> None:
    captions = list(srt.parse(two_clips.export_subtitles_srt()))

    assert " ".join(c.content for c in captions) == " ".join(w.text for w in two_clips.words)
    assert [c.index for c in captions] == list(range(1, len(captions) + 1))
    starts = {timedelta(milliseconds=w.start) for w in two_clips.words}
    assert all(c.start in starts for c in captions)
    assert all(c.start < c.end for c in captions)
    assert all(a.end <= b.start for a, b in zip(captions, captions[1:]))
    assert all(len(c.content) <= 80 for c in captions)


def test_vtt_is_valid_webvtt_within_chars_per_caption(two_clips: Any) -> None:
    captions = list(webvtt.from_string(two_clips.export_subtitles_vtt(chars_per_caption=32)))

    assert " ".join(c.text for c in captions) == " ".join(w.text for w in two_clips.words)
    assert len(captions) > len(two_clips.get_sentences())
    for caption in captions:
        assert len(caption.text) <= 32 or " " not in caption.text
        assert caption.start_in_seconds <= caption.end_in_seconds <= two_clips.audio_duration
    assert all(a.end_in_seconds <= b.start_in_seconds for a, b in zip(captions, captions[1:]))


def test_word_search_finds_words_and_phrases_whatever_their_case(two_clips: Any) -> None:
    words = two_clips.words
    keys = [_bare(w.text) for w in words]
    native = keys.index("native")
    assert keys[native + 1] == "country"  # what tiny.en hears in the second clip

    matches = two_clips.word_search(["Potatoes", "native COUNTRY", "the", "zebra"])

    assert [m.text for m in matches] == ["Potatoes", "native COUNTRY", "the", "zebra"]
    potatoes, phrase, the, zebra = matches
    assert (potatoes.count, potatoes.indexes) == (1, [keys.index("potatoes")])
    assert potatoes.timestamps == [(words[keys.index("potatoes")].start, words[keys.index("potatoes")].end)]
    assert (phrase.count, phrase.indexes) == (1, [native])
    assert phrase.timestamps == [(words[native].start, words[native + 1].end)]
    assert the.indexes == [i for i, k in enumerate(keys) if k == "the"] and the.count >= 3
    assert (zebra.count, zebra.timestamps, zebra.indexes) == (0, [], [])


def test_list_transcripts_pages_through_the_sdk(sdk: Any, two_clips: Any, audio_dir: Path) -> None:
    transcriber = sdk.Transcriber()
    newest = transcriber.submit(str(audio_dir / "speech.mp3"))
    params = sdk.ListTranscriptParameters(limit=1)

    first = transcriber.list_transcripts(params)
    params.before_id = first.page_details.before_id_of_prev_url
    second = transcriber.list_transcripts(params)

    assert first.page_details.result_count == second.page_details.result_count == 1
    assert first.transcripts[0].id == newest.id
    assert second.transcripts[0].id < newest.id  # older (UUIDv7 ids sort by creation)
    completed = transcriber.list_transcripts(sdk.ListTranscriptParameters(limit=200, status="completed"))
    assert two_clips.id in {t.id for t in completed.transcripts}
    assert all(t.status == sdk.TranscriptStatus.completed for t in completed.transcripts)


def test_deleted_transcripts_keep_id_and_status_and_have_nothing_to_export(sdk: Any, audio_dir: Path) -> None:
    transcript = sdk.Transcriber().transcribe(str(audio_dir / "speech.mp3"))
    assert transcript.status == sdk.TranscriptStatus.completed

    deleted = sdk.Transcript.delete_by_id(transcript.id)

    again = sdk.Transcript.get_by_id(transcript.id)
    for body in (deleted, again):
        assert (body.id, body.status, body.text, body.words) == (
            transcript.id, sdk.TranscriptStatus.completed, "Deleted by user.", None
        )
        assert body.audio_url == "http://deleted_by_user"
    listed = sdk.Transcriber().list_transcripts(sdk.ListTranscriptParameters(limit=200)).transcripts
    assert {t.id: t.audio_url for t in listed}[transcript.id] == "http://deleted_by_user"
    for export in (
        again.get_sentences,
        again.get_paragraphs,
        again.export_subtitles_srt,
        again.export_subtitles_vtt,
        lambda: again.word_search(["text"]),
    ):
        with pytest.raises(sdk.types.TranscriptError, match="was deleted") as caught:
            export()
        assert caught.value.status_code == 404


def test_custom_spelling_shows_in_text_words_and_every_export(sdk: Any, audio_dir: Path) -> None:
    config = sdk.TranscriptionConfig(custom_spelling={"Stu": "stew", "Mutton Bits": ["mutton pieces"]})

    transcript = sdk.Transcriber().transcribe(str(audio_dir / FIRST), config)

    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    assert "Stu" in transcript.text and "Mutton Bits" in transcript.text and "stew" not in transcript.text.lower()
    assert [w.text for w in transcript.words if _bare(w.text) in ("stu", "mutton", "bits")] == ["Stu", "Mutton", "Bits"]
    exported = [
        " ".join(s.text for s in transcript.get_sentences()),
        " ".join(p.text for p in transcript.get_paragraphs()),
        " ".join(c.content for c in srt.parse(transcript.export_subtitles_srt())),
        " ".join(c.text for c in webvtt.from_string(transcript.export_subtitles_vtt(chars_per_caption=32))),
    ]
    # Exports join words with spaces, as AssemblyAI's do; Whisper's text can differ in one
    # place: a hyphenated word it gives as two ("flower", "-fattened").
    assert all(text == " ".join(w.text for w in transcript.words) for text in exported)
    counts = [m.count for m in transcript.word_search(["stu", "mutton bits", "stew", "mutton pieces"])]
    assert counts == [1, 1, 0, 0]


def test_unpunctuated_unformatted_text_in_the_transcript_and_its_exports(sdk: Any, audio_dir: Path) -> None:
    config = sdk.TranscriptionConfig(punctuate=False, format_text=False)

    transcript = sdk.Transcriber().transcribe(str(audio_dir / "ls_1089-134686-0002.flac"), config)

    assert transcript.status == sdk.TranscriptStatus.completed, transcript.error
    text = transcript.text
    assert text == text.lower() and not set(text) & set(".,;:!?\"")
    assert "after early nightfall the yellow lamps" in text
    assert text == " ".join(w.text for w in transcript.words)
    assert transcript.json_response["punctuate"] is False and transcript.json_response["format_text"] is False
    assert " ".join(s.text for s in transcript.get_sentences()) == text
    assert " ".join(c.content for c in srt.parse(transcript.export_subtitles_srt())) == text


def test_exports_of_a_transcript_that_did_not_complete_are_400(stack: Stack, audio_dir: Path) -> None:
    failed = stack.wait(submit(stack, upload(stack, audio_dir / "corrupt.flac"))["id"])
    assert failed["status"] == "error"
    with stack.client() as c:
        for export in ("sentences", "paragraphs", "srt", "vtt", "word-search?words=a"):
            response = c.get(f"/v2/transcript/{failed['id']}/{export}")
            assert response.status_code == 400, response.text
            assert response.json()["error"].startswith(f"transcript {failed['id']} is error, not completed:")


def test_exports_answer_on_the_seed_era_paths_and_check_their_query(stack: Stack, two_clips: Any) -> None:
    with stack.client() as c:
        sentences = c.get(f"/transcript/{two_clips.id}/sentences")
        vtt = c.get(f"/transcript/{two_clips.id}/vtt", params={"chars_per_caption": 20})
        bad = [
            c.get(f"/v2/transcript/{two_clips.id}/word-search"),
            c.get(f"/v2/transcript/{two_clips.id}/word-search", params={"words": "one two three four five six"}),
            c.get(f"/v2/transcript/{two_clips.id}/srt", params={"chars_per_caption": 0}),
            c.get(f"/v2/transcript/{two_clips.id}/srt", params={"colour": "red"}),
        ]
    assert sentences.status_code == 200
    assert sentences.json()["id"] == two_clips.id and sentences.json()["audio_duration"] == two_clips.audio_duration
    assert vtt.status_code == 200 and vtt.headers["content-type"].startswith("text/plain")
    assert vtt.text.startswith("WEBVTT")
    assert [r.status_code for r in bad] == [400] * 4
    assert "at most 5 words" in bad[1].json()["error"]
