"""Knowledge-base articles from a folder of Markdown files (KB_DIR): each `*.md` file is one article, its title
the first `# ` heading (else the file's name), its language from front matter (`language: ru`) or, failing that,
from its letters. Files too large, unreadable or not UTF-8 are skipped with a log line and never stop the others."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from desk.kb_words import language_of

logger = logging.getLogger(__name__)
MAX_BYTES = 200_000  # an article, not a manual: larger files are skipped
MAX_FILES = 5_000
LANGUAGES = ("en", "ru")


@dataclass(frozen=True)
class ArticleFile:
    """One file's article, keyed by its path relative to the folder."""

    path: str
    content_hash: str
    title: str
    body: str
    language: str


@dataclass(frozen=True)
class Folder:
    """What a read of the folder found: the articles read, and every article file present (read or not: a file
    that cannot be read now keeps its last good version)."""

    articles: list[ArticleFile]
    present: frozenset[str]


class FolderUnreadable(OSError):
    """The folder itself cannot be listed: nothing may be removed on its account."""


def read_folder(folder: Path) -> Folder:
    """Every article in `folder` (recursively; hidden files and folders skipped). Raises FolderUnreadable when the
    folder cannot be listed (missing, not mounted): the caller keeps what it has rather than forget every article."""
    if not folder.is_dir():
        raise FolderUnreadable(f"{folder} is not a folder")
    try:
        files = sorted(p for p in folder.rglob("*.md") if not _hidden(p.relative_to(folder)))
    except OSError as error:
        raise FolderUnreadable(f"cannot list {folder}: {error}") from error
    articles: list[ArticleFile] = []
    present: set[str] = set()
    root = folder.resolve()
    for path in files[:MAX_FILES]:
        relative = path.relative_to(folder).as_posix()
        if not _inside(path, root):  # not present either: an article loaded from it before is removed
            logger.warning("knowledge base: %s links outside %s: skipped", relative, folder)
            continue
        present.add(relative)
        article = read_file(path, relative)
        if article is not None:
            articles.append(article)
    if len(files) > MAX_FILES:
        logger.warning(
            "knowledge base: %s holds %d articles; only the first %d are read", folder, len(files), MAX_FILES
        )
    return Folder(articles, frozenset(present))


def _inside(path: Path, root: Path) -> bool:
    """Whether a file (a link followed) lies in the folder: whoever may add an article must not get the desk to
    offer customers a file from elsewhere (`x.md -> /app/.env`)."""
    try:
        return path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop (RuntimeError before Python 3.13)
        return False


def _hidden(relative: Path) -> bool:
    return any(part.startswith(".") for part in relative.parts)


def read_file(path: Path, relative: str) -> ArticleFile | None:
    """One file's article, or None (logged) when it is not a regular file, too large, unreadable or empty."""
    try:
        if not path.is_file():
            return None
        if path.stat().st_size > MAX_BYTES:
            logger.warning("knowledge base: %s is larger than %d bytes: skipped", relative, MAX_BYTES)
            return None
        raw = path.read_bytes()
    except OSError as error:
        logger.warning("knowledge base: cannot read %s: %s", relative, error)
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        logger.warning("knowledge base: %s is not UTF-8 text: skipped", relative)
        return None
    return parse_article(relative, text, hashlib.sha256(raw).hexdigest())


def parse_article(relative: str, text: str, content_hash: str) -> ArticleFile | None:
    """An article from a file's text: optional front matter, the title, the body."""
    meta, text = _front_matter(text.replace("\r\n", "\n"))
    lines = text.split("\n")
    heading = next((i for i, line in enumerate(lines) if line.startswith("# ")), None)
    if heading is not None:
        title = lines[heading][2:].strip()
        body = "\n".join(lines[:heading] + lines[heading + 1 :]).strip()
    else:
        title = meta.get("title") or Path(relative).stem.replace("-", " ").replace("_", " ").strip().capitalize()
        body = text.strip()
    if not title or not body:
        logger.warning("knowledge base: %s has no title or no text: skipped", relative)
        return None
    language = meta.get("language", meta.get("lang", "")).lower()
    if language not in LANGUAGES:
        language = language_of(f"{title} {body}")
    return ArticleFile(relative, content_hash, title[:200], body, language)


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """`key: value` lines between a first line `---` and the next `---` (YAML front matter's simple form)."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---", 4)
    if end < 0:
        return {}, text
    meta: dict[str, str] = {}
    for line in text[4:end].split("\n"):
        key, colon, value = line.partition(":")
        if colon:
            meta[key.strip().lower()] = value.strip().strip("\"'")
    rest = text[end + 4 :]
    return meta, rest[1:] if rest.startswith("\n") else rest
