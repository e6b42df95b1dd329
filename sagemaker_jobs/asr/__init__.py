"""The speech pipeline, pure code with no I/O of its own.

- ``audio``: bytes in any common container or codec to 16 kHz mono samples.
- ``engine``: the Whisper model, loaded once, and how it decodes.
- ``result``: what a transcription returns.
- ``errors``: what the pipeline raises for input it cannot transcribe.
"""
