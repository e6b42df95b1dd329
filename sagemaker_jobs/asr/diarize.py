"""Who spoke each word: speaker embeddings of short windows over the speech, clustered.

    windows over the words' speech -> embeddings -> spectral clustering -> per-word scores
    -> Viterbi over the words (a change of speaker costs less at a pause) -> "A", "B", ...
"""

import functools
import string
from collections.abc import Sequence

import numpy as np

from sagemaker_jobs.asr.audio import SAMPLE_RATE
from sagemaker_jobs.asr.errors import InvalidOptionsError
from sagemaker_jobs.asr.result import Word
from sagemaker_jobs.asr.speaker_encoder import FRAME_STEP, SpeakerEncoder

MAX_SPEAKERS = 8
"""The most speakers an estimate may find; `speakers_expected` may ask for up to 26."""

# Shorter than the encoder's 1.6 s partials, so fewer windows straddle a change of speaker; at
# 1.2 s embeddings are still steady enough (0.8 s is not: one voice splits into two).
_WINDOW_FRAMES = 120
_WINDOW_MS = _WINDOW_FRAMES * FRAME_STEP * 1000 // SAMPLE_RATE
_HOP_MS = 400
# Words closer than this are one stretch of speech, covered by overlapping windows.
_SPAN_GAP_MS = 1000
# Each window keeps this share of the others (its most similar) as graph neighbours.
_NEIGHBOUR_SHARE = 0.2
# Clusters whose mean embeddings are at least this similar are one voice: the eigengap tends to
# split a single speaker when the count is left to it.
_SAME_SPEAKER_SIMILARITY = 0.82
# A change of speaker costs this much score (a cosine similarity) inside continuous speech,
# and less after a pause, where turns usually change.
_SWITCH_COST = 0.2
_PAUSE_MS = 300
_SWITCH_COST_AFTER_PAUSE = 0.05


def assign_speakers(
    samples: np.ndarray,
    words: Sequence[Word],
    speakers_expected: int | None = None,
    speaker_range: tuple[int, int] | None = None,
) -> list[str]:
    """One speaker label per word, "A", "B", ... in order of first appearance.

    `samples` are the 16 kHz mono float32 samples the words were transcribed from. Without
    `speakers_expected`, the count is estimated: from 1 to MAX_SPEAKERS, or within
    `speaker_range` (AssemblyAI's speaker_options: min and max speakers expected).
    """
    if speakers_expected is not None and not 1 <= speakers_expected <= len(string.ascii_uppercase):
        raise InvalidOptionsError(f"speakers_expected must be between 1 and {len(string.ascii_uppercase)}")
    if speaker_range is not None:
        low, high = speaker_range
        if not 1 <= low <= high <= len(string.ascii_uppercase):
            raise InvalidOptionsError(
                f"speaker_options: need 1 <= min_speakers_expected <= max_speakers_expected <= {len(string.ascii_uppercase)}"
            )
        if low == high:
            speakers_expected, speaker_range = low, None
    if not words:
        return []
    if speakers_expected == 1:
        return ["A"] * len(words)
    window_starts_ms = _window_starts_ms(words)
    start_frames = [start * SAMPLE_RATE // 1000 // FRAME_STEP for start in window_starts_ms]
    embeddings = _encoder().embed_windows(samples, start_frames, _WINDOW_FRAMES)
    clusters = _cluster(embeddings, speakers_expected, speaker_range)
    centroids = _unit_rows(np.stack([embeddings[clusters == c].mean(axis=0) for c in np.unique(clusters)]))
    scores = _unit_rows(_word_embeddings(words, window_starts_ms, embeddings)) @ centroids.T
    return _first_appearance_labels(_viterbi(scores, words))


@functools.cache
def _encoder() -> SpeakerEncoder:
    return SpeakerEncoder.pretrained()


def _window_starts_ms(words: Sequence[Word]) -> list[int]:
    """Windows tiling each stretch of speech; a stretch shorter than a window gets one, centred."""
    starts: list[int] = []
    for span_start, span_end in _speech_spans(words):
        last = span_end - _WINDOW_MS
        if last <= span_start:
            starts.append(max(0, (span_start + span_end - _WINDOW_MS) // 2))
        else:
            starts.extend(range(span_start, last, _HOP_MS))
            starts.append(last)
    return starts


def _speech_spans(words: Sequence[Word]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for word in sorted(words, key=lambda w: w.start):
        if spans and word.start - spans[-1][1] < _SPAN_GAP_MS:
            spans[-1] = (spans[-1][0], max(spans[-1][1], word.end))
        else:
            spans.append((word.start, word.end))
    return spans


def _cluster(
    embeddings: np.ndarray, speakers_expected: int | None, speaker_range: tuple[int, int] | None = None
) -> np.ndarray:
    """A cluster index per window: spectral clustering on a nearest-neighbour graph."""
    count = len(embeddings)
    if count < 2:
        return np.zeros(count, int)
    similarity = embeddings @ embeddings.T
    neighbours = max(2, int(np.ceil(_NEIGHBOUR_SHARE * count)))
    nearest = np.argsort(-similarity, axis=1)[:, :neighbours]
    graph = np.zeros_like(similarity)
    np.put_along_axis(graph, nearest, 1.0, axis=1)
    graph = np.maximum(graph, graph.T)
    eigenvalues, eigenvectors = np.linalg.eigh(np.diag(graph.sum(axis=1)) - graph)
    low, high = speaker_range or (1, MAX_SPEAKERS)
    if speakers_expected is None:
        max_k = max(1, min(high, count - 1))
        min_k = min(low, max_k)
        # The largest gap in the Laplacian's spectrum, among the counts allowed.
        gaps = np.diff(eigenvalues[: max_k + 1])
        k = int(np.argmax(gaps[min_k - 1 :])) + min_k
    else:
        k = min(speakers_expected, count)
    clusters = _kmeans(eigenvectors[:, :k], k)
    if speakers_expected is None:
        merged = _merge_similar(embeddings, clusters)
        if len(np.unique(merged)) >= low:  # merging may not go below the range's minimum
            clusters = merged
    return clusters


def _kmeans(points: np.ndarray, k: int, iterations: int = 50) -> np.ndarray:
    # Seeded by farthest-first traversal, so the result is the same on every run.
    centres = [points[np.argmax(np.linalg.norm(points - points.mean(axis=0), axis=1))]]
    for _ in range(1, k):
        distances = np.min([np.linalg.norm(points - c, axis=1) for c in centres], axis=0)
        centres.append(points[np.argmax(distances)])
    centre_array = np.stack(centres)
    labels = np.zeros(len(points), int)
    for _ in range(iterations):
        labels = np.argmin(np.linalg.norm(points[:, None] - centre_array[None], axis=2), axis=1)
        updated = np.stack(
            [points[labels == c].mean(axis=0) if np.any(labels == c) else centre_array[c] for c in range(k)]
        )
        if np.allclose(updated, centre_array):
            break
        centre_array = updated
    return labels


def _merge_similar(embeddings: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """Joins the two clusters with the most similar mean embeddings while they sound alike."""
    while len(ids := np.unique(clusters)) > 1:
        centroids = _unit_rows(np.stack([embeddings[clusters == c].mean(axis=0) for c in ids]))
        similarity = centroids @ centroids.T
        np.fill_diagonal(similarity, -1.0)
        a, b = np.unravel_index(np.argmax(similarity), similarity.shape)
        if similarity[a, b] < _SAME_SPEAKER_SIMILARITY:
            break
        clusters = np.where(clusters == ids[b], ids[a], clusters)
    return clusters


def _word_embeddings(words: Sequence[Word], window_starts_ms: Sequence[int], embeddings: np.ndarray) -> np.ndarray:
    """Per word, the windows over its centre averaged, those centred nearer the word weighing more."""
    starts = np.asarray(window_starts_ms)
    centres = starts + _WINDOW_MS / 2
    result = []
    for word in words:
        middle = (word.start + word.end) / 2
        weights = np.clip(1.0 - np.abs(middle - centres) / (_WINDOW_MS / 2), 0.0, None)
        if not weights.any():  # a word outside every window (unsorted timings): its nearest
            weights[np.argmin(np.abs(middle - centres))] = 1.0
        result.append(weights @ embeddings)
    return np.stack(result)


def _viterbi(scores: np.ndarray, words: Sequence[Word]) -> list[int]:
    """The speaker sequence with the highest total score, less the cost of its speaker changes."""
    count, speakers = scores.shape
    total = scores[0].copy()
    back = np.zeros((count, speakers), int)
    stay = np.eye(speakers, dtype=bool)
    for i in range(1, count):
        pause = words[i].start - words[i - 1].end
        cost = _SWITCH_COST_AFTER_PAUSE if pause >= _PAUSE_MS else _SWITCH_COST
        candidates = total[:, None] - np.where(stay, 0.0, cost)  # [from, to]
        back[i] = np.argmax(candidates, axis=0)
        total = candidates[back[i], np.arange(speakers)] + scores[i]
    path = [int(np.argmax(total))]
    for i in range(count - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def _first_appearance_labels(speakers: Sequence[int]) -> list[str]:
    letters: dict[int, str] = {}
    for speaker in speakers:
        letters.setdefault(speaker, string.ascii_uppercase[len(letters)])
    return [letters[speaker] for speaker in speakers]


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), np.finfo(np.float32).tiny)
