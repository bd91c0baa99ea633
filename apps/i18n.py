"""The app's one message catalogue, English and Korean. `t(key, lang, **fields)`; the default language comes from the
browser's Accept-Language header.

Two parts, both read from apps/catalogue.yaml: MESSAGES, the app's own labels (English, Korean); PACKAGE_KO, the
Korean of the sentences the packages write into their reports (agreement readings, the compare verdict, audit figures
and fixes, the suites' assertion reasons). Their English stays in the package (its `MESSAGES`, what the CLI prints);
the report carries each as {"key", "fields"} (workbench.messages), and `t` renders it in either language under the
same key."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from workbench import verdicts
from workbench.messages import fill, is_message

LANGUAGES = {"en": "English", "ko": "한국어"}
# what a page calls each pairwise verdict (workbench.verdicts): (English, Korean)
VERDICT_WORDS = {
    verdicts.A: ("A", "A"),
    verdicts.B: ("B", "B"),
    verdicts.TIE: ("tie", "비슷함"),
    verdicts.BOTHBAD: ("both bad", "둘 다 나쁨"),
}

# The catalogue's text is data (apps/catalogue.yaml), as the judge prompts are: what a translator edits, apart from
# the code that says it.
_CATALOGUE = yaml.load(
    Path(__file__).with_name("catalogue.yaml").read_text(encoding="utf-8"),
    Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
)
# key: (English, Korean)
MESSAGES: dict[str, tuple[str, str]] = {
    **{key: (en, ko) for key, (en, ko) in _CATALOGUE["app"].items()},
    **{f"ag.verdict_{v}": words for v, words in VERDICT_WORDS.items()},
}
# Korean for the packages' sentences, keyed as the package keys them (the English is the package's MESSAGES).
_FIGURES_KO: dict[str, str] = _CATALOGUE["figures_ko"]
PACKAGE_KO: dict[str, str] = {
    **{f"agreement.figure.{k}": v for k, v in _FIGURES_KO.items()},
    **{f"agreement.id.{k}": v for k, v in _FIGURES_KO.items()},
    **_CATALOGUE["package_ko"],
}
# Where each package key's English lives (imported on first use).
PACKAGES = {
    "agreement.": "evalkit.agreement",
    "compare.": "evalkit.suites.compare",
    "audit.": "curate.pipeline",
    "assertions.": "evalkit.suites.assertions",
}


def package_english(key: str) -> str | None:
    """The English template of a package key, from the package's MESSAGES (None: the package doesn't have it)."""
    for prefix, module in PACKAGES.items():
        if key.startswith(prefix):
            return getattr(importlib.import_module(module), "MESSAGES", {}).get(key)
    return None


def from_accept_language(header: str | None) -> str:
    """The first supported language in an Accept-Language header (RFC 9110 §12.5.4, by q-value), else English."""
    best, best_q = "en", -1.0
    for part in (header or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        code = tag.strip().lower().split("-")[0]
        if code in LANGUAGES and q > best_q:
            best, best_q = code, q
    return best


def t(key: str, lang: str = "en", **fields) -> str:
    """The text of an app key or a package key in `lang`; a field that is a message is said in `lang` too."""
    if key in MESSAGES:
        en, ko = MESSAGES[key]
        text = ko if lang == "ko" else en
    else:
        text = (lang == "ko" and PACKAGE_KO.get(key)) or package_english(key)
        if text is None:
            raise KeyError(f"no message {key!r} in the app's catalogue or its package")
    fields = {k: say(v, lang) if is_message(v) else v for k, v in fields.items()}
    return fill(text, **fields) if fields else text


def say(msg: dict | None, lang: str = "en", english: str = "") -> str:
    """A package's message ({"key", "fields"}) in `lang`; `english` (the package's sentence) when there is none."""
    return t(msg["key"], lang, **msg["fields"]) if is_message(msg) else english
