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
