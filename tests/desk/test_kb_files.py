"""The KB_DIR folder reloaded: files added, changed and deleted are followed; a bad file (too large, not UTF-8,
empty) is skipped with a log line and stops nothing; a folder that cannot be read removes nothing; loading twice
(a second instance) changes nothing. Both engines."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.jobs.kb_sync import load_kb_folder
from desk.kb_files import MAX_BYTES, parse_article, read_folder
from desk.kb_service import KnowledgeBase, Synced
from tests.support.engines import open_test_database


@pytest.fixture
async def kb(tmp_path: Path) -> AsyncIterator[KnowledgeBase]:
    database = await open_test_database(tmp_path)
    yield KnowledgeBase(database)
    await database.close()


async def titles(kb: KnowledgeBase, words: str) -> list[str]:
    return sorted(article.title for article in await kb.search(words, limit=20))


async def test_files_added_changed_and_deleted_are_followed(kb: KnowledgeBase, tmp_path: Path):
    folder = tmp_path / "kb"
    (folder / "mail").mkdir(parents=True)
    (folder / "mail" / "outlook.md").write_text("# Outlook asks for a password\n\nSign out and in again.\n")
    (folder / "vpn.md").write_text("---\nlanguage: ru\n---\n# VPN не подключается\n\nПерезапустите клиент VPN.\n")
    assert await load_kb_folder(kb, folder) == Synced(added=2)
    assert await titles(kb, "password") == ["Outlook asks for a password"]
    [vpn] = await kb.search("клиент")
    assert (vpn.language, vpn.path, vpn.source) == ("ru", "vpn.md", "file")

    assert await load_kb_folder(kb, folder) == Synced()  # unchanged, or loaded by a second instance: nothing written
    (folder / "mail" / "outlook.md").write_text("# Outlook asks for credentials\n\nClear the cached credentials.\n")
    (folder / "vpn.md").unlink()
    (folder / "teams.md").write_text("Restart Teams when the camera is not found.\n")
    assert await load_kb_folder(kb, folder) == Synced(added=1, changed=1, removed=1)
    assert await titles(kb, "password") == []
    assert await titles(kb, "credentials") == ["Outlook asks for credentials"]
    assert await titles(kb, "camera") == ["Teams"]  # no heading: the file's name
    assert await kb.search("клиент") == []


async def test_bad_files_are_skipped_and_logged(kb: KnowledgeBase, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "good.md").write_text("# Printer offline\n\nTurn it off and on.\n")
    (folder / "huge.md").write_text("# Huge printer\n\n" + "printer " * (MAX_BYTES // 8 + 1))
    (folder / "latin1.md").write_bytes("# Imprimante hors ligne\n\nL'imprimante: éteindre.\n".encode("latin-1"))
    (folder / "empty.md").write_text("# Printer title only\n")
    (folder / ".hidden.md").write_text("# Hidden printer\n\nNot an article.\n")
    (folder / "notes.txt").write_text("printer notes, not Markdown")
    with caplog.at_level(logging.WARNING):
        assert await load_kb_folder(kb, folder) == Synced(added=1)
    assert await titles(kb, "printer") == ["Printer offline"]
    logged = caplog.text
    assert "huge.md is larger than" in logged and "latin1.md is not UTF-8" in logged and "empty.md has no" in logged


async def test_a_folder_that_cannot_be_read_removes_nothing(kb: KnowledgeBase, tmp_path: Path):
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "a.md").write_text("# Printer offline\n\nTurn it off and on.\n")
    await load_kb_folder(kb, folder)
    folder.rename(tmp_path / "unmounted")
    assert await load_kb_folder(kb, folder) is None
    assert await titles(kb, "printer") == ["Printer offline"]
    assert await load_kb_folder(kb, None) is None  # no KB_DIR: nothing to do


def test_front_matter_title_and_language():
    article = parse_article("x/reset-password.md", "---\ntitle: Ignored\nlang: en\n---\nJust the text.\n", "h")
    assert article is not None
    assert (article.title, article.body, article.language) == ("Ignored", "Just the text.", "en")
    russian = parse_article("p.md", "# Сброс пароля\n\nОткройте портал.", "h")
    assert russian is not None and russian.language == "ru"


def test_kb_dir_setting_defaults_to_no_folder():
    from desk.settings import Settings

    assert Settings.from_env({}, env_file=None).kb_dir is None
    chosen = Settings.from_env({"KB_DIR": "/srv/kb", "KB_CHECK_SECONDS": "60"}, env_file=None)
    assert (chosen.kb_dir, chosen.kb_check_seconds) == (Path("/srv/kb"), 60)


def test_a_link_out_of_the_folder_is_not_read(tmp_path: Path, caplog: pytest.LogCaptureFixture):
    # Whoever can add a file to the articles (a synced repository, a share) must not get the desk to publish files
    # outside it to customers: `x.md -> /app/.env` would otherwise be an article offered to anyone's matching words.
    folder = tmp_path / "kb"
    folder.mkdir()
    (tmp_path / "secret.md").write_text("# Settings\n\nBOT_PASSWORD=hunter2\n")
    (folder / "leak.md").symlink_to(tmp_path / "secret.md")
    (folder / "real.md").write_text("# VPN\n\nRestart the client.\n")
    (folder / "alias.md").symlink_to(folder / "real.md")  # a link inside the folder is fine

    with caplog.at_level(logging.WARNING):
        found = read_folder(folder)

    assert sorted(article.path for article in found.articles) == ["alias.md", "real.md"]
    assert "hunter2" not in str(found.articles)
    assert "leak.md" in caplog.text
