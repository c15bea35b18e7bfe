"""Knowledge-base search on both engines: a title hit ranks above a body hit and more words in common above fewer;
English and Russian word forms find each other (stemming, prefix terms); a customer's description matches by its
content words; typed text is never query syntax."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desk.kb_files import ArticleFile, Folder
from desk.kb_service import KnowledgeBase
from desk.store.database import Database
from tests.support.engines import open_test_database

SYNTAX = ('"', "*", "-", ":", "^", "(", ")", "NEAR(", "title:", "AND", "OR", "NOT", "'", "\\", "%", "&", "|", "<->")
SYNTAX += ("!", "{", "}", "body:", "password:*", "пароль*", "+", "~")


@pytest.fixture
async def kb(tmp_path: Path) -> AsyncIterator[KnowledgeBase]:
    database: Database = await open_test_database(tmp_path)
    yield KnowledgeBase(database)
    await database.close()


async def load(kb: KnowledgeBase, *articles: tuple[str, str, str]) -> None:
    """Load (path, title, body) articles as files (a path with "ru" in it is in Russian)."""
    files = [ArticleFile(path, path, title, body, "ru" if "ru" in path else "en") for path, title, body in articles]
    await kb.load_folder(Folder(files, frozenset(f.path for f in files)))


async def titles(kb: KnowledgeBase, words: str) -> list[str]:
    return [article.title for article in await kb.search(words)]


async def test_a_title_hit_ranks_above_a_body_hit(kb: KnowledgeBase):
    await load(
        kb,
        ("body.md", "Printer queue stuck", "Restart the spooler. Outlook is unrelated to this printer problem."),
        ("title.md", "Outlook crashes on start", "Start it in safe mode and disable add-ins one by one."),
    )
    assert await titles(kb, "outlook") == ["Outlook crashes on start", "Printer queue stuck"]


async def test_more_words_in_common_rank_first_and_a_technician_needs_them_all(kb: KnowledgeBase):
    await load(
        kb,
        ("a.md", "Password reset", "Reset your password in the self-service portal."),
        ("b.md", "Outlook asks for the password again and again", "Sign out of Office, then sign in again."),
    )
    assert await titles(kb, "outlook password") == ["Outlook asks for the password again and again"]
    matched = await kb.matching("Outlook keeps asking me for my password since this morning")
    assert next(a.title for a in matched) == "Outlook asks for the password again and again"


async def test_english_word_forms_find_each_other(kb: KnowledgeBase):
    await load(kb, ("a.md", "Shared mailboxes", "Adding a shared mailbox to Outlook: permissions take an hour."))
    assert await titles(kb, "mailbox") == ["Shared mailboxes"]  # plural in the title
    assert await titles(kb, "permission adding") == ["Shared mailboxes"]
    assert await titles(kb, "mailb") == ["Shared mailboxes"]  # the start of a word


async def test_russian_word_forms_find_each_other(kb: KnowledgeBase):
    await load(
        kb,
        ("ru.md", "Сброс пароля", "Откройте портал самообслуживания и задайте новый пароль."),
        ("en.md", "Password reset", "Use the self-service portal."),
    )
    assert await titles(kb, "пароль") == ["Сброс пароля"]  # nominative finds the genitive in the title
    assert await titles(kb, "пароля сбросить") == ["Сброс пароля"]
    assert await titles(kb, "порталы") == ["Сброс пароля"]
    matched = await kb.matching("Здравствуйте, не могу сбросить пароль от почты")
    assert [a.title for a in matched] == ["Сброс пароля"]


async def test_a_description_needs_several_content_words(kb: KnowledgeBase):
    await load(kb, ("a.md", "Teams camera not detected", "Close other apps using the camera, then restart Teams."))
    assert await kb.matching("My printer is broken and I need it for this") == []
    assert await kb.matching("Teams does not see my camera") != []
    assert await kb.matching("the and for with my") == []  # filler words only


@settings(max_examples=60, deadline=None)
@given(words=st.lists(st.sampled_from(SYNTAX) | st.text(max_size=6), min_size=1, max_size=4))
async def test_typed_text_is_never_query_syntax(kb: KnowledgeBase, words: list[str]):
    await load(kb, ("a.md", "Password reset", "NEAR the portal: reset OR change AND done."))
    text = " ".join(words)
    await kb.search(text)  # never raises
    await kb.matching(text)


async def test_a_pasted_log_of_many_words_is_searched_not_an_error(kb: KnowledgeBase):
    # `kb` followed by a pasted error log: one term per distinct word made an expression SQLite refuses past about a
    # thousand terms (and PostgreSQL nine parameters each); the first words are searched instead.
    await load(kb, ("outlook.md", "Outlook asks for a password", "Sign out and in again."))
    log = "outlook password " + " ".join(f"line{n}" for n in range(1500))

    assert await titles(kb, log) == []  # every word is still needed: the log's others are in no article
    assert await titles(kb, "outlook password") == ["Outlook asks for a password"]
