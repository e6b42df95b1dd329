from sagemaker_jobs.asr.custom.mining import mine, rarity

SENTENCES = [
    "Joining us today is Brian Olsavsky, our CFO.",
    "Brian Olsavsky will discuss non-GAAP results and the Form 10-K.",
    "We reaccelerated growth and we thank our team.",
    "Twitter is where people see what is happening.",
    "People use Twitter every day.",
]


def test_names_rare_words_and_codes_are_found_and_common_words_are_not() -> None:
    texts = [p.text for p in mine(SENTENCES)]

    for expected in ("Brian Olsavsky", "Olsavsky", "non-GAAP", "reaccelerated", "Twitter", "CFO", "Form 10-K"):
        assert expected in texts
    for common in ("today", "growth", "team", "People", "We", "Joining", "day"):
        assert common not in texts


def test_frequent_rare_names_rank_above_one_off_capitalised_words() -> None:
    ranked = [p.text for p in mine(SENTENCES)]

    assert ranked.index("Brian Olsavsky") < ranked.index("CFO")


def test_explicit_phrases_come_first_and_are_not_repeated() -> None:
    phrases = mine(SENTENCES, ["twitter", "Zentrix Omniflow"])

    assert [p.text for p in phrases[:2]] == ["twitter", "Zentrix Omniflow"]
    assert [p.text.lower() for p in phrases].count("twitter") == 1
    assert phrases[0].kind == "explicit"


def test_inflections_of_common_words_are_only_slightly_rare() -> None:
    assert rarity("resetting") <= 1.0
    assert rarity("Olsavsky") > 4


def test_fillers_contractions_of_i_and_spelled_letters_are_not_phrases() -> None:
    # What real transcripts hold (PriMock57's consultations): hesitations as transcribers write
    # them, "I'm" before a name, a word spelled out letter by letter.
    sentences = [
        "Uum, I'm Doctor Gohill, how can I help? Mm-hmm.",
        "I'll see you, Mh-mm, Doctor Gohill said O K.",
        "Erm, I'd take the Salbutamol inhaler. Mm. M.",
    ]
    texts = [p.text for p in mine(sentences)]

    assert "Doctor Gohill" in texts and "Salbutamol" in texts
    for junk in ("Uum", "Mm-hmm", "Mh-mm", "Erm", "Mm", "M", "O K", "I'll", "I'd", "I'm Doctor Gohill"):
        assert junk not in texts


def test_an_acronym_spelled_like_a_hesitation_stays_a_name() -> None:
    texts = [p.text for p in mine(["Pay HM Revenue today.", "We wrote to HM Revenue again."])]

    assert "HM Revenue" in texts


def test_a_common_word_in_capitals_is_not_a_code_and_does_not_join_a_name() -> None:
    texts = [p.text for p in mine(["OK Amanda, the IT desk said OK.", "Thanks OK Amanda, and GAAP too."])]

    assert "Amanda" in texts and "GAAP" in texts
    for junk in ("OK", "IT", "OK Amanda"):
        assert junk not in texts
