"""The web console as a user meets it: sign in, transcribe a real recording and follow it
while it plays, train a custom model and compare with and without it, delete things."""
from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, snapshot
from tests.e2e.conftest import Stack
from tests.e2e.test_custom_models import HISTORY, NAMES

RECORDING = "ls_1089-134686-0000.flac"
TRANSCRIPT_TIMEOUT_MS = 120_000


def go(page: Any, section: str) -> None:
    page.locator("#nav").get_by_role("button", name=section, exact=True).click()


def transcribe(page: Any, path: Path) -> None:
    form = page.locator("#transcribe-form")
    form.get_by_label("Audio file").set_input_files(path)
    form.get_by_role("button", name="Transcribe").click()
    expect(page.locator("#viewer")).to_be_visible(timeout=TRANSCRIPT_TIMEOUT_MS)


def current_word(page: Any) -> int:
    return int(page.eval_on_selector("#viewer-words", "box => box.querySelector('.current')?.dataset.index ?? -1"))


def test_the_console_and_its_files_are_served_with_a_strict_policy(stack: Stack) -> None:
    page = httpx.get(f"{stack.api_url}/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = httpx.get(f"{stack.api_url}/console/app.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    for name in ("nothing.js", "..%2Fapp.py", "__init__.py", ".hidden.css"):
        missing = httpx.get(f"{stack.api_url}/console/{name}")
        assert missing.status_code == 404, name
        assert "error" in missing.json()


def test_a_wrong_key_is_refused_with_the_apis_message(page: Any) -> None:
    sign_in(page, "not-a-key")

    expect(page.locator("#sign-in-error")).to_contain_text("refused")
    expect(page.locator("#sign-in-error")).to_contain_text("401")
    expect(page.locator("#nav")).to_be_hidden()


def test_sign_in_transcribe_a_recording_and_follow_it_as_it_plays(
    signed_in: Any, stack: Stack, audio_dir: Path, references: dict[str, str]
) -> None:
    page = signed_in
    expect(page.locator("#tenant")).to_contain_text("Tenant:")

    transcribe(page, audio_dir / RECORDING)

    expect(page.locator("#transcribe-progress")).to_contain_text("completed")
    words = page.locator("#viewer-words .word")
    texts = [t.strip(".,").lower() for t in words.all_inner_texts()]
    assert {"stew", "dinner", "turnips", "carrots"} <= set(texts), texts
    assert len(texts) >= len(references[RECORDING].split()) - 3
    # Low confidence is marked exactly where the API says so, and explained in a legend.
    transcript_id = page.locator("#viewer-meta dd").first.inner_text()
    with stack.client() as c:
        api_words = c.get(f"/v2/transcript/{transcript_id}").json()["words"]
    low = [i for i, w in enumerate(api_words) if w["confidence"] < 0.5]
    marked = page.eval_on_selector_all("#viewer-words .word.low", "ws => ws.map(w => Number(w.dataset.index))")
    assert marked == low
    expect(page.locator(".legend .word.low").first).to_be_visible()

    # Play (muted, as autoplay allows) and see the highlight move forward with the audio.
    page.eval_on_selector("#viewer-audio", "a => { a.muted = true; return a.play(); }")
    page.wait_for_function("() => document.querySelector('#viewer-audio').currentTime > 1.5")
    first = current_word(page)
    page.wait_for_function("() => document.querySelector('#viewer-audio').currentTime > 4")
    later = current_word(page)
    page.eval_on_selector("#viewer-audio", "a => a.pause()")
    snapshot(page, "playing")
    assert 0 <= first < later, (first, later)
    assert api_words[later]["start"] <= 1000 * page.eval_on_selector("#viewer-audio", "a => a.currentTime")

    # Choosing a word seeks the audio to it, and it becomes the highlighted word.
    target = len(api_words) - 3
    words.nth(target).click()
    seconds = page.eval_on_selector("#viewer-audio", "a => a.currentTime")
    assert abs(seconds * 1000 - api_words[target]["start"]) < 20
    assert current_word(page) == target
    expect(words.nth(target)).to_have_attribute("aria-current", "true")


def test_word_search_marks_the_words_found(signed_in: Any, audio_dir: Path) -> None:
    page = signed_in
    transcribe(page, audio_dir / RECORDING)

    page.get_by_label("Find words").fill("carrots, fat mutton")
    page.get_by_role("button", name="Search").click()

    expect(page.locator("#search-result")).to_contain_text("“carrots”: 1 time")
    marked = page.locator("#viewer-words .word.match").all_inner_texts()
    assert [m.strip(".,").lower() for m in marked] == ["carrots", "fat", "mutton"]


def test_the_transcribe_panel_explains_what_is_missing_and_what_failed(signed_in: Any, audio_dir: Path) -> None:
    page = signed_in
    form = page.locator("#transcribe-form")
    form.get_by_role("button", name="Transcribe").click()
    expect(page.locator("#transcribe-error")).to_contain_text("Choose an audio file")

    form.get_by_label("Audio file").set_input_files(audio_dir / "not_audio.txt")
    form.get_by_role("button", name="Transcribe").click()

    expect(page.locator("#transcribe-error")).to_contain_text("The transcript failed", timeout=TRANSCRIPT_TIMEOUT_MS)
    expect(page.locator("#transcribe-progress li[data-state=failed]")).to_have_text("error")
    expect(page.locator("#viewer")).to_be_hidden()


def test_a_recording_from_the_microphone_becomes_the_audio_to_send(signed_in: Any) -> None:
    page = signed_in
    record = page.get_by_role("button", name="Record from microphone")
    record.click()
    expect(page.get_by_role("button", name="Stop recording")).to_have_attribute("aria-pressed", "true")
    page.wait_for_timeout(2000)
    page.get_by_role("button", name="Stop recording").click()

    expect(page.locator("#record-status")).to_contain_text("Recorded")
    expect(page.locator("#record-preview")).to_be_visible()
    with page.expect_response("**/v2/upload") as uploaded:
        page.locator("#transcribe-form").get_by_role("button", name="Transcribe").click()
    assert uploaded.value.ok
    # The fake microphone beeps, which transcribes as no words; but the service decoded the
    # recording as audio of the length recorded.
    expect(page.locator("#viewer")).to_be_visible(timeout=TRANSCRIPT_TIMEOUT_MS)
    expect(page.locator("#transcribe-progress")).to_have_attribute("data-status", "completed")
    expect(page.locator("#viewer-meta")).to_contain_text(re.compile(r"Duration\s*[12] s"))


def test_a_custom_model_trains_shows_its_metrics_and_changes_the_transcript(signed_in: Any, audio_dir: Path) -> None:
    page = signed_in
    go(page, "Custom models")
    page.get_by_label("Name", exact=True).fill("router vendor")
    page.get_by_label("Texts").fill("\n\n".join(HISTORY[:-2]))
    files = [{"name": f"history{i}.txt", "mimeType": "text/plain", "buffer": t.encode()} for i, t in enumerate(HISTORY[-2:])]
    page.get_by_label("Text files").set_input_files(files)
    page.get_by_role("button", name="Create model").click()

    detail = page.locator("#model-detail")
    expect(detail).to_have_attribute("data-status", "ready", timeout=TRANSCRIPT_TIMEOUT_MS)
    expect(page.locator("#model-progress li[data-state=done]")).to_have_count(3)
    metrics = page.locator("#model-metrics")
    expect(metrics).to_contain_text("Words")
    expect(metrics).to_contain_text("Vocabulary")
    expect(page.locator("#model-phrases-found")).to_contain_text("Zentrix")
    expect(page.locator("#model-detail-meta")).to_contain_text(re.compile(rf"Texts\s*{len(HISTORY)}(?!\d)"))
    expect(page.locator("#model-list tbody tr", has_text="router vendor")).to_contain_text("ready")
    snapshot(page, "model-ready")

    go(page, "Compare")
    form = page.locator("#compare-form")
    form.get_by_label("Audio file").set_input_files(audio_dir / "custom_model_names.ogg")
    form.get_by_label("Custom model").select_option(label="router vendor")
    form.get_by_role("button", name="Compare").click()

    expect(page.locator("#compare-result")).to_be_visible(timeout=TRANSCRIPT_TIMEOUT_MS)
    base = page.locator("#compare-base").inner_text()
    custom = page.locator("#compare-custom").inner_text()
    assert not any(name in base for name in NAMES), base
    assert "Zentrix" in custom, custom
    expect(page.locator("#compare-custom-title")).to_have_text("With “router vendor”")
    inserted = page.locator("#compare-custom .word.ins").all_inner_texts()
    assert any("Zentrix" in w for w in inserted), inserted
    assert page.locator("#compare-base .word.del").count() > 0
    expect(page.locator("#diff-summary")).to_contain_text("only with it")
    # Both sides follow the one audio track.
    page.locator("#compare-custom .word.ins").first.click()
    assert page.locator("#compare-base .word.current").count() == 1


def test_transcripts_and_models_are_listed_and_deleted(signed_in: Any, stack: Stack, audio_dir: Path) -> None:
    page = signed_in
    transcribe(page, audio_dir / "speech.mp3")
    transcript_id = page.locator("#viewer-meta dd").first.inner_text()
    with stack.client() as c:
        model = c.post("/v2/model", json={"name": "spare model", "texts": HISTORY[:2]}).json()

    go(page, "Transcripts")
    row = page.locator(f"#transcript-list tr[data-id='{transcript_id}']")
    expect(row).to_contain_text("completed")
    row.get_by_role("button", name="Delete").click()
    expect(row).to_contain_text("deleted")
    expect(row.get_by_role("button", name="Delete")).to_be_disabled()
    row.get_by_role("button", name="Open").click()
    expect(page.locator("#viewer-error")).to_contain_text("deleted")

    go(page, "Custom models")
    page.locator("#models").get_by_role("button", name="Refresh").click()
    model_row = page.locator(f"#model-list tr[data-id='{model['id']}']")
    model_row.get_by_role("button", name="Details of spare model").click()
    expect(page.locator("#model-detail")).to_have_attribute("data-status", "ready", timeout=TRANSCRIPT_TIMEOUT_MS)
    model_row.get_by_role("button", name="Delete spare model").click()
    expect(model_row).to_have_count(0)
    expect(page.locator("#model-detail")).to_be_hidden()
    with stack.client() as c:
        assert c.get(f"/v2/transcript/{transcript_id}").json()["words"] is None
        assert c.get(f"/v2/model/{model['id']}").status_code == 404


def test_the_apis_error_messages_are_shown(signed_in: Any) -> None:
    page = signed_in
    go(page, "Custom models")
    page.get_by_label("Name", exact=True).fill("too long a phrase")
    page.get_by_label("Phrases").fill("x" * 201)
    page.get_by_role("button", name="Create model").click()

    expect(page.locator("#model-error")).to_contain_text("phrases")
    expect(page.locator("#model-error")).to_contain_text("HTTP 400")


def test_the_key_lasts_for_the_tab_and_sign_out_forgets_it(signed_in: Any) -> None:
    page = signed_in
    page.reload()
    expect(page.locator("#nav")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("API key")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_the_console_fits_a_phone_screen(signed_in: Any) -> None:
    page = signed_in
    page.set_viewport_size({"width": 360, "height": 740})
    for section in ("Transcribe", "Compare", "Custom models", "Transcripts"):
        go(page, section)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{section} is {overflow} px wider than the screen"


def test_the_word_diff_is_a_shortest_edit_script(page: Any) -> None:
    """diff.js run in the page on random word sequences: its equal words are a longest common
    subsequence, and its script rebuilds both sides."""
    rng = random.Random(7)
    cases = [([], []), (["a"], []), ([], ["b"]), (list("abc"), list("abc"))]

    def words() -> list[str]:
        return [rng.choice("abcd") for _ in range(rng.randrange(15))]

    cases += [(words(), words()) for _ in range(300)]
    results = page.evaluate(
        """async (cases) => {
            const { diff } = await import("./console/diff.js");
            return cases.map(([a, b]) => diff(a, b));
        }""",
        cases,
    )
    for (a, b), ops in zip(cases, results):
        assert [a[op["a"]] for op in ops if op["type"] != "insert"] == a
        assert [b[op["b"]] for op in ops if op["type"] != "delete"] == b
        equal = [op for op in ops if op["type"] == "equal"]
        assert all(a[op["a"]] == b[op["b"]] for op in equal)
        assert len(equal) == lcs_length(a, b), (a, b, ops)


def test_the_word_diff_ignores_case_and_punctuation(page: Any) -> None:
    changes = page.evaluate(
        """async () => {
            const { diffWords } = await import("./console/diff.js");
            const words = (text) => text.split(" ").map((t) => ({ text: t }));
            return diffWords(words("Reset the Zen tricks router."), words("reset the Zentrix Router"));
        }"""
    )
    assert changes["deleted"] == [2, 3] and changes["inserted"] == [2] and changes["equal"] == 3


def lcs_length(a: list[str], b: list[str]) -> int:
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal, row[0] = 0, 0
        for j, y in enumerate(b, start=1):
            diagonal, row[j] = row[j], diagonal + 1 if x == y else max(row[j], row[j - 1])
    return row[-1]
