import pytest

from sagemaker_jobs.asr.custom.corpus import CorpusError, parse, parse_phrases, split_sentences
from sagemaker_jobs.asr.errors import AsrError


def test_texts_split_into_sentences_and_phrases_are_cleaned() -> None:
    corpus = parse(
        [
            "Hello, and welcome to our Q4 2016 call. Joining us is Brian Olsavsky.\n"
            "Revenue grew 4.6% to $0.04 per share!"
        ],
        ["  Olsavsky ", "olsavsky", "non-GAAP"],
    )

    assert corpus.sentences == (
        "Hello, and welcome to our Q4 2016 call.",
        "Joining us is Brian Olsavsky.",
        "Revenue grew 4.6% to $0.04 per share!",
    )
    assert corpus.phrases == ("Olsavsky", "non-GAAP")
    assert corpus.word_count == 20


def test_utf8_bytes_are_accepted() -> None:
    assert parse([b"Caf\xc3\xa9 Zentrix opened today."]).sentences == ("Café Zentrix opened today.",)


def test_phrases_alone_are_enough() -> None:
    assert parse([], ["Zentrix Omniflow"]).phrases == ("Zentrix Omniflow",)


def test_decimal_points_do_not_split_sentences() -> None:
    assert split_sentences("It grew 4.6% in Q4. Next year too.") == ["It grew 4.6% in Q4.", "Next year too."]


@pytest.mark.parametrize(
    ("texts", "phrases", "message"),
    [
        ([], [], "holds no text"),
        (["   \n\t "], ["  "], "holds no text"),
        ([b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"], [], "binary"),
        ([b"\xfa\xfb broken"], [], "not valid UTF-8"),
        (["text with a \x00 nul"], [], "binary"),
        (["QmFzZTY0IGRhdGEgaXMgbm90IGEgc2VudGVuY2U " * 10], [], "does not look like sentences"),
        (["1234 5678 9012 3456 !!!! #### $$$$ %%%% 0000"], [], "mostly not letters"),
        ([], ["a phrase that is far too long to be a keyword or a name"], "too long"),
        ([], ["!!!"], "no letters or digits"),
        ([42], [], "must be a string"),
    ],
)
def test_unusable_input_is_refused_with_a_clear_message(texts: list, phrases: list, message: str) -> None:
    with pytest.raises(CorpusError, match=message) as caught:
        parse(texts, phrases)
    assert isinstance(caught.value, AsrError)


def test_phrase_lists_keep_order_and_drop_duplicates() -> None:
    assert parse_phrases(["Kavanaugh", "Biolabs", "KAVANAUGH", ""]) == ["Kavanaugh", "Biolabs"]
