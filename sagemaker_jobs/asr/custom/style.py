"""The customer's house spellings: which of a word's written forms their transcripts use.

The same spoken word has written forms that scoring and readers do not treat as one: "OK" /
"okay", "e-mail" / "email", "health care" / "healthcare". Whisper writes its own choice; a
customer's transcripts (and so the references their accuracy is judged by) consistently write
theirs. A model learns the forms its text prefers (`HouseStyle.of`), and the decode's other forms
of those words are rewritten to them (`apply.correct`).

Only forms that are certainly the same word are considered, so a rewrite never changes what was
said: a word with and without its hyphens ("x-ray" / "xray", "follow-up" / "followup"), and a
short list of open and closed compounds of one meaning (`SAME_WORD`). Open compounds in general
are left alone: "may be" and "maybe", "every day" and "everyday" are different words.
"""

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

SAME_WORD: tuple[tuple[str, ...], ...] = (
    ("OK", "okay", "O.K."),
    ("all right", "alright"),
    ("health care", "healthcare"),
    ("web site", "website"),
    ("voice mail", "voicemail"),
    ("e mail", "email"),
    ("per cent", "percent"),
    ("can not", "cannot"),
    ("cell phone", "cellphone"),
    ("data base", "database"),
    ("on line", "online"),
    ("week end", "weekend"),
)
"""Written forms of one word that differ by more than hyphens, matched ignoring case ("ok" is
"OK": no transcript style writes a lower-case "ok" on purpose)."""

MIN_USES = 3
"""A preferred form occurs at least this often in the customer's text..."""
MIN_SHARE = 0.9
"""...and makes up at least this share of the word's forms there. Fixed by reasoning, not tuned:
a form the customer writes three times and never otherwise is their style; a text that mixes
forms has none to impose."""

_TOKEN = re.compile(r"[A-Za-z]+(?:[-.][A-Za-z]+)*")


def _key(form: str) -> str:
    """The letters of a form, lower-cased: what all its written variants share."""
    return re.sub(r"[^a-z]", "", form.lower())


def _form(token: str) -> str:
    """A token as counted: lower-cased, but "OK" (any case, dotted or not) is one form."""
    return "OK" if _key(token) == "ok" else token.lower()


@dataclass(frozen=True)
class HouseStyle:
    spellings: tuple[tuple[str, str], ...] = ()
    """(variant, preferred): a form the decode may write ("all right", "okay") and the one the
    customer writes instead. Both as space-separated words."""
    unhyphenated: frozenset[str] = frozenset()
    """Closed words the customer writes often and never hyphenated: a decoded "e-mail" becomes
    "email" when "email" is here."""

    @classmethod
    def of(cls, texts: Iterable[str]) -> "HouseStyle":
        tokens = [_form(m.group()) for text in texts for m in _TOKEN.finditer(text)]
        counts = Counter(tokens)
        pairs = Counter(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))

        groups = [{_form(f) if " " not in f else f.lower(): 0 for f in forms} for forms in SAME_WORD]
        for group in groups:
            for form in group:
                group[form] = (pairs if " " in form else counts)[form]
        hyphenated: dict[str, dict[str, int]] = {}
        for form, count in counts.items():
            if "-" in form:
                hyphenated.setdefault(_key(form), {})[form] = count
        for key, forms in hyphenated.items():
            groups.append({**forms, key: counts[key]})

        spellings: list[tuple[str, str]] = []
        for group in groups:
            preferred, uses = max(group.items(), key=lambda item: item[1])
            if uses >= MIN_USES and uses >= MIN_SHARE * sum(group.values()):
                spellings.extend((variant, preferred) for variant in group if variant != preferred)
        unhyphenated = frozenset(
            form for form, count in counts.items() if count >= MIN_USES and form.isalpha() and form not in hyphenated
        )
        return cls(tuple(spellings), unhyphenated)

    def closed_form(self, word: str) -> str | None:
        """The customer's closed form of a hyphenated word, if they write it that way."""
        if "-" not in word:
            return None
        key = _key(word)
        return key if key in self.unhyphenated else None
