"""The words of a knowledge-base search, in English or Russian: runs of letters and digits (never query syntax),
the customer's filler words dropped, and Russian endings cut for SQLite, whose tokenizer does not stem Cyrillic
(PostgreSQL stems with its 'russian' configuration; the cut stem is then a prefix term on both)."""

from __future__ import annotations

import re

_RUN = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    """The words of a list written as text."""
    return text.split()


_CYRILLIC = re.compile(r"[а-яё]")
# Filler words of a customer's description: they match every article and say nothing about the problem.
STOP_WORDS = frozenset(
    _words(
        """a an and are as at be been but by can cannot could did do does doing for from get gets got has have having
    he her him his how i i'm if in into is it its me my no not now of on or our please since so some still that the
    their them then there they this to too up us was we were what when where which while who why will with would you
    your hi hello thanks thank help problem issue again anymore any all just keeps keep doesn don t s m ll ve
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня
    еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там
    потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже
    себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас
    были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего
    них какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более
    всегда конечно всю между здравствуйте привет пожалуйста спасибо помогите проблема снова"""
    )
)
# Russian endings, longest first; a stem keeps at least MIN_STEM letters.
_ENDINGS = tuple(
    sorted(
        _words(
            """иями ями ами ого его ому ему ыми ими ать ять ить еть уть ешь ете ишь ите ется ются ится ятся ой ей ий
        ый ая яя ое ее ые ие ую юю ов ев ах ях ам ям ом ем ию ия ие ья ье ьи ть ет ит ут ют ат ят ся
        а я о е ы и у ю ь й"""
        ),
        key=len,
        reverse=True,
    )
)
MIN_STEM = 4
MAX_TERMS = 16  # a long description: its first distinct words are enough to find an article


def runs(text: str) -> list[str]:
    """The distinct runs of letters and digits, lower-cased, in order."""
    found: list[str] = []
    for run in _RUN.findall(text.lower()):
        if run not in found:
            found.append(run)
    return found


def content_runs(text: str) -> list[str]:
    """The runs of a customer's description worth searching for: filler words and single letters dropped."""
    return [run for run in runs(text) if run not in STOP_WORDS and len(run) > 1][:MAX_TERMS]


def is_russian(run: str) -> bool:
    """Whether a run is (partly) Cyrillic."""
    return _CYRILLIC.search(run) is not None


def stem(run: str) -> str:
    """A Russian run without its ending ("пароля" -> "парол"), so that as a prefix term it finds the word's other
    forms; other runs as they are (SQLite's porter tokenizer stems English query terms itself)."""
    if not is_russian(run):
        return run
    for ending in _ENDINGS:
        if run.endswith(ending) and len(run) - len(ending) >= MIN_STEM:
            return run[: -len(ending)]
    return run


def language_of(text: str) -> str:
    """'ru' when most letters are Cyrillic, else 'en'."""
    letters = [char for char in text.lower() if char.isalpha()]
    cyrillic = sum(1 for char in letters if "а" <= char <= "я" or char == "ё")
    return "ru" if letters and cyrillic * 2 > len(letters) else "en"
