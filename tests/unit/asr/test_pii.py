"""Personal data found in words as Whisper writes them, and redacted (real spaCy pipeline)."""

from __future__ import annotations

import numpy as np
import pytest

from hark_core.options import PII_POLICIES
from sagemaker_jobs.asr import pii
from sagemaker_jobs.asr.result import Word


@pytest.fixture(scope="module")
def finder() -> pii.Finder:
    return pii.Finder()


def _words(text: str) -> list[Word]:
    return [Word(w, i * 300, i * 300 + 250, 0.9) for i, w in enumerate(text.split())]


def _found(finder: pii.Finder, text: str) -> list[tuple[str, str]]:
    return [(e.entity_type, e.text) for e in finder.find(_words(text))]


def test_the_api_and_the_container_offer_the_same_policies() -> None:
    assert tuple(PII_POLICIES) == tuple(pii.SUPPORTED_POLICIES)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("My card number is 4111 1111 1111 1111.", ("credit_card_number", "4111 1111 1111 1111")),
        # Said digit by digit, with the decoder's commas, stops and a repeated digit.
        ("my card number is four one one one. One one one one one one one one", ("credit_card_number", None)),
        ("Call me back on four one five, two three eight, nine one four seven.", ("phone_number", None)),
        ("call me back on 415 to 38, 91147.", ("phone_number", "415 to 38, 91147")),
        ("My social security number is 123-45-6789.", ("us_social_security_number", "123-45-6789")),
        ("The routing number is 021000021, thanks.", ("banking_information", "021000021")),
        ("and the CVV is 123.", ("credit_card_cvv", "123")),
        # The acronym as the decoder mishears it, in capitals: still the card's code.
        ("CBC is 447, we ordered", ("credit_card_cvv", "447")),
        ("C-V-Z in 766. Send the receipt", ("credit_card_cvv", None)),
        # Said without a code word: where it is on the card, or how many digits it has.
        ("The free digits on the Mac are 260.", ("credit_card_cvv", "260")),
        ("The code on the back of the card is 482.", ("credit_card_cvv", "482")),
        ("My member ID is 5523 8812.", ("account_number", "5523 8812")),
        ("I was born on March 7th, 1961.", ("date_of_birth", "March 7th, 1961")),
        ("write to john.smith at gmail.com please", ("email_address", "john.smith at gmail.com")),
        # The "at" run into a word: the e-mail cue says what the address is.
        ("My work email is omeletteemail .com, routing", ("email_address", "omeletteemail .com")),
        ("You can reach me my email, www .airfemail .com The card", ("email_address", "www .airfemail .com")),
        ("Hi, my name is Sarah Johnson.", ("person_name", "Sarah Johnson")),
        # A digit the decoder made a word of ("Nero" for "zero") does not split the number.
        ("My card number is 5, 6, 7, 2, 7, Nero 4, 1, 9, 2, 3, 5, 5, 7, 5, 2.", ("credit_card_number", None)),
        # ... nor after a group the decoder wrote in digits.
        ("The routing number is 0358 times 6344.", ("banking_information", "0358 times 6344")),
        # A day and a year after a month stay a date, not one number.
        ("I want more on September 5, 1942.", ("date", "September 5, 1942")),
    ],
)
def test_each_kind_is_found_as_spoken(finder: pii.Finder, text: str, expected: tuple[str, str | None]) -> None:
    kinds = _found(finder, text)
    assert expected[0] in [kind for kind, _ in kinds], kinds
    if expected[1] is not None:
        assert expected in kinds


def test_the_words_that_say_what_a_number_is_are_not_names(finder: pii.Finder) -> None:
    kinds = _found(finder, "Email me the form. The CVV is 123.")
    assert all(kind not in ("person_name", "organization") for kind, _ in kinds), kinds


def test_only_a_capitalised_acronym_one_letter_from_cvv_marks_a_card_code(finder: pii.Finder) -> None:
    assert "credit_card_cvv" not in [kind for kind, _ in _found(finder, "the cat is 447 days old")]
    assert "credit_card_cvv" not in [kind for kind, _ in _found(finder, "Room BBC 204 is free")]


def test_an_area_code_or_the_digits_of_a_social_are_not_a_card_code(finder: pii.Finder) -> None:
    assert "credit_card_cvv" not in [kind for kind, _ in _found(finder, "the area code is 206")]
    assert "credit_card_cvv" not in [kind for kind, _ in _found(finder, "last digits of my social, 4471")]


def test_three_digits_soon_after_a_card_number_are_its_code_even_with_the_cue_misheard(finder: pii.Finder) -> None:
    card = "My card number is 4111 1111 1111 1111"
    assert ("credit_card_cvv", "768") in _found(finder, f"{card} and must see me meeting 768.")
    # An amount is not a code, nor are digits said long after the card.
    assert "credit_card_cvv" not in [kind for kind, _ in _found(finder, f"{card} and I paid 250 dollars.")]
    talk = "We talked about the weather and the game for a while after that, and then about the kids. "
    later = f"{card}. {talk}The room was 447."
    assert "credit_card_cvv" not in [kind for kind, _ in _found(finder, later)]


def test_years_and_small_numbers_are_left_alone(finder: pii.Finder) -> None:
    kinds = [kind for kind, _ in _found(finder, "We sold 12 units in 2019 and 45 more last week.")]
    assert "number_sequence" not in kinds and "phone_number" not in kinds


def test_redaction_by_hash_and_by_entity_name(finder: pii.Finder) -> None:
    words = _words("Hi, my name is Sarah Johnson. Call me on 415 238 9147.")
    entities = finder.find(words)

    hashed = " ".join(w.text for w in pii.redact(words, entities, ["person_name", "phone_number"], "hash"))
    named = pii.redact(words, entities, ["person_name"], "entity_name")

    assert hashed == "Hi, my name is ##### #######. Call me on ### ### ####."
    assert " ".join(w.text for w in named) == "Hi, my name is [PERSON_NAME]. Call me on 415 238 9147."
    merged = next(w for w in named if w.text.startswith("[PERSON_NAME]"))
    assert (merged.start, merged.end) == (words[4].start, words[5].end)  # the name's whole time


def test_the_bleep_covers_the_entity_and_nothing_far_from_it() -> None:
    samples = np.zeros(16000 * 3, dtype=np.float32)
    entity = pii.Entity("person_name", "Sarah", 1000, 1500, 0, 0)

    out = pii.bleeped(samples, [entity], 16000)
    silent = pii.bleeped(samples + 0.1, [entity], 16000, silence=True)

    loud = np.flatnonzero(np.abs(out) > 0.01)
    assert loud[0] / 16 >= 1000 - pii.BLEEP_PAD_MS - 1 and loud[-1] / 16 <= 1500 + pii.BLEEP_PAD_MS
    assert np.abs(out[:14000]).max() == 0  # 0.875 s: before the padded start
    assert silent[20000] == 0 and silent[0] == pytest.approx(0.1)
