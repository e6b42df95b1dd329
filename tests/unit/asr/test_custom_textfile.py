import codecs

import pytest

from sagemaker_jobs.asr.custom.corpus import CorpusError, parse
from sagemaker_jobs.asr.custom.textfile import clean_transcript, decode_text
from sagemaker_jobs.train.formats import parse_file

TRANSCRIPT = "Agent: Thanks for calling Zentrova.\nCaller: My Xarelto refill, please.\n"


@pytest.mark.parametrize(
    "data",
    [
        TRANSCRIPT.encode("utf-8"),
        codecs.BOM_UTF8 + TRANSCRIPT.encode("utf-8"),
        TRANSCRIPT.encode("utf-16"),  # with its byte-order mark, as Notepad saves "Unicode"
        TRANSCRIPT.encode("utf-16-le"),  # without one
        TRANSCRIPT.encode("utf-16-be"),
        codecs.BOM_UTF32_LE + TRANSCRIPT.encode("utf-32-le"),
    ],
)
def test_every_common_encoding_reads_the_same_words(data: bytes) -> None:
    assert decode_text(data, "t.txt") == TRANSCRIPT
    assert parse_file("t.txt", data).texts == ["Agent: Thanks for calling Zentrova.\nCaller: My Xarelto refill, please."]
    assert parse([data]).sentences == ("Thanks for calling Zentrova.", "My Xarelto refill, please.")
    # An uploaded file is one document, so its labels are seen to open several lines.
    assert parse(parse_file("t.txt", data).texts).sentences == parse([data]).sentences


def test_binary_is_still_refused() -> None:
    with pytest.raises(CorpusError, match="binary"):
        parse_file("x.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\x02")


def test_captions_labels_timestamps_and_annotations_are_stripped() -> None:
    text = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
Agent: Thanks for calling Zentrova, [inaudible] how can I help?

2
00:00:04.500 --> 00:00:06.000
Caller: Hi (laughs) it's about my Xarelto refill.
[00:01:23] D: Take it with food.
D: OK."""
    assert clean_transcript(text).splitlines() == [
        "Thanks for calling Zentrova, how can I help?",
        "Hi it's about my Xarelto refill.",
        "Take it with food.",
        "OK.",
    ]


def test_prose_keeps_a_lone_colon() -> None:
    text = "Note: revenue grew.\nWe expect more next year.\nGuidance is unchanged.\nThanks, everyone."
    assert clean_transcript(text) == text


def test_the_commas_an_annotation_leaves_and_a_lost_space_after_a_sentence_are_mended() -> None:
    text = "OK.Um, I'd like <UNIN/> , to , try.No.They use Node.js in the U.S. at 3.5 mg."
    assert clean_transcript(text) == "OK. Um, I'd like, to, try. No. They use Node.js in the U.S. at 3.5 mg."


def test_a_turn_that_was_only_an_annotation_leaves_no_label_behind() -> None:
    # As clinicians' transcripts are written (PriMock57's tags): the words of a guess stay.
    text = (
        "Doctor: Hello. <UNSURE>Hello how</UNSURE> um. How can I help?\n"
        "Patient: <UNIN/>\n"
        "Doctor: <UNSURE>Come</UNSURE> and go?\n"
        "Patient: [inaudible]"
    )
    assert clean_transcript(text) == "Hello. Hello how um. How can I help?\nCome and go?"


def test_speaker_headings_and_csv_rows_of_common_exports_leave_only_the_words() -> None:
    headed = "Speaker 1  0:03\nWelcome to the Kubernetes sync.\n\nJohn Smith  1:02:11\nLet us talk about Karpenter."
    assert clean_transcript(headed) == "Welcome to the Kubernetes sync.\nLet us talk about Karpenter."
    rows = '00:00:01,Agent,Thank you for calling Acme.\n00:00:04,Customer,"Hi, my Zorbex account."\n00:09.5\tAgent\tSure.'
    assert clean_transcript(rows) == "Thank you for calling Acme.\nHi, my Zorbex account.\nSure."


def test_a_time_said_in_a_sentence_stays() -> None:
    text = "[00:01:23] Agent: We open at 9:00 on Fridays.\n(00:05) Agent: See you at 5:30."
    assert clean_transcript(text) == "We open at 9:00 on Fridays.\nSee you at 5:30."
