from hark_core.inference import Word
from sagemaker_jobs.asr.result import TranscriptionResult
from sagemaker_jobs.asr.timing import in_order


def w(text: str, start: int, end: int) -> Word:
    return Word(text=text, start=start, end=end, confidence=0.9)


def times(words: tuple[Word, ...]) -> list[tuple[int, int]]:
    return [(x.start, x.end) for x in words]


def test_words_in_order_are_kept_as_they_are() -> None:
    words = (w("a", 0, 100), w("b", 100, 300), w("c", 350, 400))
    assert in_order(words) == words


def test_words_aligned_to_a_wrong_timestamp_share_the_gap_between_their_neighbours() -> None:
    # What faster-whisper returned for a LibriSpeech fixture on one CPU.
    words = (w("potatoes,", 4460, 4940), w("and", 7580, 7580), w("fat", 7580, 7580), w("mutton", 5560, 6140))
    fixed = in_order(words)
    assert times(fixed) == [(4460, 4940), (4940, 5250), (5250, 5560), (5560, 6140)]
    assert [x.text for x in fixed] == ["potatoes,", "and", "fat", "mutton"]


def test_a_word_placed_too_late_with_a_length_of_its_own_is_moved_too() -> None:
    words = (w("a", 0, 100), w("b", 9000, 9100), w("c", 300, 400), w("d", 500, 600))
    assert times(in_order(words)) == [(0, 100), (100, 300), (300, 400), (500, 600)]


def test_a_word_placed_too_early_does_not_displace_the_words_before_it() -> None:
    words = (w("a", 100, 200), w("b", 210, 290), w("x", 20, 60), w("c", 300, 400))
    assert times(in_order(words)) == [(100, 200), (210, 290), (290, 300), (300, 400)]


def test_misplaced_last_words_stay_within_the_audio() -> None:
    words = (w("a", 0, 500), w("b", 900, 900), w("c", 100, 50))
    fixed = in_order(words, duration_ms=800)
    assert times(fixed) == [(0, 500), (500, 650), (650, 800)]


def test_neighbours_that_touch_still_leave_every_word_a_positive_length_in_order() -> None:
    words = (w("a", 0, 500), w("b", 700, 700), w("c", 500, 900))
    fixed = in_order(words)
    starts = [x.start for x in fixed]
    assert starts == sorted(starts) and all(x.end > x.start for x in fixed)


def test_a_result_is_ordered_before_its_word_times_are_read_for_speakers_and_bleeps() -> None:
    words = (w("card", 0, 400), w("four", 7580, 7580), w("one", 7580, 7580), w("one", 1200, 1500))
    result = TranscriptionResult("card four one one", words, 0.9, 8.0, "en_us", "test")
    ordered = result.ordered()
    assert times(ordered.words) == [(0, 400), (400, 800), (800, 1200), (1200, 1500)]
    # An entity over "four one" now has its end after its start, so its bleep has a length.
    assert ordered.words[2].end > ordered.words[1].start
    assert result.to_contract().words == list(ordered.words)
