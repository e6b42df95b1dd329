"""Corpus archives: text files, recordings with their references, and what is refused."""

from __future__ import annotations

import io
import zipfile

import pytest

from sagemaker_jobs.asr.custom.corpus import CorpusError
from sagemaker_jobs.train import formats
from sagemaker_jobs.train.formats import parse_file


def archive(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in files.items():
            z.writestr(name, body)
    return buffer.getvalue()


def test_an_archive_holds_text_files_and_recordings_with_their_references() -> None:
    corpus = parse_file(
        "upload",  # the presigned upload has no name: the archive is recognised by its bytes
        archive(
            {
                "history.txt": "First transcript.\nSecond transcript.\n",
                "terms.csv": "phrase\nZentrix\n",
                "calls/call-1.wav": b"RIFF....WAVE",
                "calls/call-1.txt": "Please reset the  Zentrix router.\n",
                "__MACOSX/calls/._call-1.wav": b"\0\0",
            }
        ),
    )

    assert corpus.texts == ["First transcript.\nSecond transcript."]
    assert corpus.phrases == ["Zentrix"]
    assert [(p.name, p.audio, p.reference) for p in corpus.pairs] == [
        ("calls/call-1.wav", b"RIFF....WAVE", "Please reset the Zentrix router.")
    ]


def test_member_names_are_only_names() -> None:
    # Members are read in memory, never extracted: a "../" name is harmless and still read.
    corpus = parse_file("corpus.zip", archive({"../../outside.txt": "A line of text."}))

    assert corpus.texts == ["A line of text."]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ({"call.flac": b"fLaC"}, "no reference transcript; add call.txt"),
        ({"inner.zip": archive({"a.txt": "x"})}, "archive inside the archive"),
        ({"a.txt": "caf\xe9".encode("latin-1")}, "not valid UTF-8"),
        ({"call.wav": b"RIFF", "call.txt": b"\xfa\xfb bad"}, "not valid UTF-8"),
    ],
)
def test_bad_archives_are_refused_with_a_reason(files: dict[str, bytes | str], fragment: str) -> None:
    with pytest.raises(CorpusError, match=fragment):
        parse_file("corpus.zip", archive(files))


def test_an_archive_that_unpacks_past_the_cap_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(formats, "MAX_CORPUS_BYTES", 10_000)
    bomb = archive({"big.txt": "word " * 100_000})  # 500 kB that compresses to about 1 kB
    assert len(bomb) < 10_000

    with pytest.raises(CorpusError, match="unpacks to more than"):
        parse_file("corpus.zip", bomb)


def test_a_damaged_archive_is_refused() -> None:
    with pytest.raises(CorpusError, match="not a valid ZIP"):
        parse_file("corpus.zip", b"PK\x03\x04" + b"garbage" * 10)


def test_the_model_request_says_whether_the_decoder_adapts() -> None:
    from sagemaker_jobs.train.__main__ import ADAPT_MIN_UTTERANCES, adapts

    assert parse_file("corpus.json", b'{"texts": ["a b"], "adapt_decoder": true}').adapt_decoder is True
    assert parse_file("corpus.json", b'{"texts": ["a b"]}').adapt_decoder is None
    with pytest.raises(CorpusError, match="adapt_decoder"):
        parse_file("corpus.json", b'{"texts": ["a b"], "adapt_decoder": "yes"}')
    # The request decides; without one, the service's default (HARK_ADAPT_DECODER), and then
    # only for a corpus big enough to learn from.
    enough = ADAPT_MIN_UTTERANCES
    assert adapts(False, {"HARK_ADAPT_DECODER": "1"}, enough) is False
    assert adapts(True, {"HARK_ADAPT_DECODER": "0"}, 1) is True
    assert adapts(None, {"HARK_ADAPT_DECODER": "0"}, enough) is False
    assert adapts(None, {"HARK_ADAPT_DECODER": "1"}, enough) is True
    assert adapts(None, {}, enough) is False  # off unless the service turns it on
    assert adapts(None, {"HARK_ADAPT_DECODER": "1"}, enough - 1) is False


def test_utterances_are_the_texts_sentences_and_each_phrase() -> None:
    from sagemaker_jobs.train.__main__ import training_utterances

    texts = ["Agent said hello. Then the Zentrix unit blinked!", "One more", "42"]  # "42": nothing to say
    assert training_utterances(texts, ["Omniflow", "Kavanaugh Biolabs"]) == 3 + 2


def test_transcripts_exported_from_hark_assemblyai_or_transcribe_are_training_text() -> None:
    import json

    hark = {"id": "t1", "status": "completed", "text": "Thanks for calling Zentrova.", "words": [],
            "utterances": [{"speaker": "A", "text": "Thanks for calling Zentrova."}, {"speaker": "B", "text": "Hi."}]}
    plain = {"id": "t2", "text": "My Xarelto refill, please.", "utterances": None}
    transcribe = {"jobName": "j", "results": {"transcripts": [{"transcript": "Reset my Zentrix router."}], "items": []}}
    assert parse_file("t1.json", json.dumps(hark).encode()).texts == ["Thanks for calling Zentrova.\nHi."]
    assert parse_file("export.json", json.dumps([plain, transcribe]).encode()).texts == [
        "My Xarelto refill, please.", "Reset my Zentrix router."
    ]
    with pytest.raises(CorpusError, match="exported from Hark, AssemblyAI or Amazon Transcribe"):
        parse_file("other.json", b'{"rows": 3}')
    assert parse_file("corpus.json", b'{"adapt_decoder": true}').adapt_decoder is True  # options only


def test_a_plain_text_file_of_terms_is_a_phrase_list() -> None:
    assert parse_file("keywords.txt", b"Kubernetes\nArgo CD\nKarpenter\nnginx\n").phrases == [
        "Kubernetes", "Argo CD", "Karpenter", "nginx"
    ]
    assert parse_file("terms.txt", b"Xarelto, Eliquis, metoprolol succinate").phrases == [
        "Xarelto", "Eliquis", "metoprolol succinate"
    ]
    # Sentences, and short unpunctuated utterances that repeat, stay text.
    for body in (b"We shipped the router.\nIt works.\nThanks.\n", b"yes\nokay thanks\nyes\nno problem\nokay\n"):
        corpus = parse_file("history.txt", body)
        assert corpus.texts and not corpus.phrases


def _docx(paragraphs: list[str]) -> bytes:
    """A minimal Word document, as Word writes one: its paragraphs in word/document.xml."""
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{p.split('|')[0]}</w:t></w:r>" + "".join(
        f"<w:r><w:tab/><w:t>{rest}</w:t></w:r>" for rest in p.split("|")[1:]) + "</w:p>" for p in paragraphs)
    return archive({
        "[Content_Types].xml": '<?xml version="1.0"?><Types/>',
        "word/document.xml": f'<?xml version="1.0"?><w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>',
    })


def test_a_word_document_is_read_as_its_paragraphs() -> None:
    from sagemaker_jobs.asr.custom.corpus import parse

    transcript = _docx(["Agent:|Thanks for calling Zentrix.", "Caller:|My Omniflow router blinks red."])
    corpus = parse_file("call-history.docx", transcript)
    assert parse(corpus.texts).sentences == ("Thanks for calling Zentrix.", "My Omniflow router blinks red.")
    assert parse_file("terms.docx", _docx(["Zentrix", "Omniflow", "Kavanaugh Biolabs"])).phrases == [
        "Zentrix", "Omniflow", "Kavanaugh Biolabs"
    ]
    # Uploaded without a name, or inside an archive, it is still recognised by its contents.
    assert parse_file("upload", transcript).texts == corpus.texts
    assert parse_file("corpus.zip", archive({"notes/call.docx": transcript})).texts == corpus.texts
    with pytest.raises(CorpusError, match="not a readable Word document"):
        parse_file("broken.docx", archive({"word/other.xml": "<x/>"}))
