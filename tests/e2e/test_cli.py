"""The `hark` command line as a user runs it: the installed console script, in a
subprocess, against the real local stack, with real audio."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import srt

from tests.e2e.conftest import Stack

HARK = str(Path(sys.executable).with_name("hark"))
CLIP = "ls_1089-134686-0002.flac"


def hark(stack: Stack, *args: str, key: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HARK_STATE_FILE": stack.env["HARK_STATE_FILE"], "HARK_API_KEY": key or stack.key}
    env.pop("HARK_API_URL", None)
    return subprocess.run([HARK, *args], env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def assert_one_line_error(done: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("hark: error:")]
    assert len(errors) == 1 and fragment in errors[0], done.stderr


def test_the_console_script_is_installed() -> None:
    assert shutil.which(HARK), "make venv installs the `hark` command (pip install -e .)"


def test_transcribe_prints_the_text_and_a_summary(stack: Stack, audio_dir: Path) -> None:
    done = hark(stack, "transcribe", str(audio_dir / CLIP))
    assert done.returncode == 0, done.stderr
    assert "yellow lamps" in done.stdout.lower()
    assert "1 of 1 transcribed" in done.stderr and "completed" in done.stderr


def test_transcribe_several_files_to_a_folder_as_srt(stack: Stack, audio_dir: Path, tmp_path: Path) -> None:
    files = [str(audio_dir / CLIP), str(audio_dir / "ls_2412-153948-0000.flac")]
    done = hark(stack, "transcribe", *files, "--format", "srt", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["ls_1089-134686-0002.srt", "ls_2412-153948-0000.srt"]
    captions = list(srt.parse((tmp_path / "ls_2412-153948-0000.srt").read_text()))
    assert captions and "reader" in " ".join(c.content for c in captions).lower()


def test_json_format(stack: Stack, audio_dir: Path) -> None:
    done = hark(stack, "transcribe", str(audio_dir / CLIP), "--format", "json")
    body = json.loads(done.stdout)
    assert body["status"] == "completed" and body["words"]


def test_a_bad_file_fails_with_one_line_and_the_good_ones_still_complete(stack: Stack, audio_dir: Path) -> None:
    done = hark(stack, "transcribe", str(audio_dir / "corrupt.flac"), str(audio_dir / CLIP))
    assert done.returncode == 1
    assert "yellow lamps" in done.stdout.lower()
    assert "could not be decoded" in done.stderr and "1 of 2 transcribed" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_file_and_a_wrong_key_are_one_line_errors(stack: Stack, audio_dir: Path) -> None:
    assert_one_line_error(hark(stack, "transcribe", "no-such-file.wav"), "no such file")
    assert_one_line_error(hark(stack, "transcribe", str(audio_dir / CLIP), key="hark_wrong"), "API key was refused")
    assert_one_line_error(hark(stack, "--api-url", "http://127.0.0.1:9", "models", "list"), "cannot reach Hark")


def test_models_create_list_show_use_and_delete(stack: Stack, audio_dir: Path, tmp_path: Path) -> None:
    texts = tmp_path / "history.txt"
    texts.write_text("After early nightfall the yellow lamps would light up the squalid quarter.\n" * 3)
    phrases = tmp_path / "phrases.txt"
    phrases.write_text("yellow lamps\nsqualid quarter\n")
    created = hark(stack, "models", "create", "--name", "lamps", "--texts", str(texts), "--phrases", str(phrases))
    assert created.returncode == 0, created.stderr
    model_id = created.stdout.strip().splitlines()[-1]
    assert "ready" in created.stderr

    listed = hark(stack, "models", "list")
    assert listed.returncode == 0 and model_id in listed.stdout
    shown = json.loads(hark(stack, "models", "show", model_id).stdout)
    assert shown["status"] == "ready" and shown["metrics"]["corpus_words"] > 0
    used = hark(stack, "transcribe", str(audio_dir / CLIP), "--model", model_id)
    assert used.returncode == 0 and "squalid quarter" in used.stdout.lower()

    assert hark(stack, "models", "delete", model_id).returncode == 0
    assert_one_line_error(hark(stack, "models", "show", model_id), "HTTP 404")


def test_keys_create_makes_a_working_key_for_a_new_tenant(stack: Stack, audio_dir: Path) -> None:
    done = hark(stack, "keys", "create", "--tenant", "cli-tenant")
    assert done.returncode == 0, done.stderr
    new_key = done.stdout.strip()
    listed = hark(stack, "models", "list", key=new_key)
    assert listed.returncode == 0, listed.stderr


@pytest.mark.parametrize("args", [["transcribe"], ["models"], ["frobnicate"]])
def test_usage_errors_exit_2(stack: Stack, args: list[str]) -> None:
    assert hark(stack, *args).returncode == 2
