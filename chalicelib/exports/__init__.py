"""What a finished transcript is exported as, derived from its words alone: sentences and
paragraphs (`segments`), SRT and WebVTT captions (`subtitles`), word search (`search`), and
the unpunctuated or unformatted text a request can ask for (`formatting`).

Pure functions over `Word`: nothing here knows HTTP, pydantic or AWS. Every export reads the
stored words, which already carry the request's `custom_spelling` (applied at inference time)
and its `punctuate`/`format_text` choice (applied when the result is stored), so all exports
agree with the transcript's `text` and `words`.
"""
