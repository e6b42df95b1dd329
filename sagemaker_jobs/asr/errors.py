"""Errors the speech pipeline raises for input it cannot transcribe.

    AsrError
    ├── AudioDecodeError     the bytes are not audio that can be decoded
    ├── EmptyAudioError      the audio holds nothing to transcribe
    └── InvalidOptionsError  a decode option has the wrong type

Their messages are written for the person who sent the audio, so callers may show them as is.
"""


class AsrError(Exception):
    """Base of every input error the pipeline raises."""


class AudioDecodeError(AsrError):
    def __init__(self, reason: str) -> None:
        super().__init__(f"the file could not be decoded as audio: {reason}")


class EmptyAudioError(AsrError):
    def __init__(self) -> None:
        super().__init__("the audio file contains no audio")


class InvalidOptionsError(AsrError):
    pass
