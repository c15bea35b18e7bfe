"""SQL of the knowledge base: articles from files and published answers, and searching them (migration 25).

Searching is built like ticket search (desk/store/search.py): every run of letters and digits is a quoted prefix
term, never query syntax. An article scores by how many of the terms it has (`hits`: a technician's search needs
them all, a customer's description at least a few), then by the engine's rank, where the title weighs more than the
body: SQLite's bm25 with column weights, PostgreSQL's ts_rank over weights A (title) and D (body). PostgreSQL
matches each term in English, in Russian (stemmed by each configuration) and as typed ('simple'), so "passwords"
finds "password" and "пароля" finds "пароль"; SQLite stems English with porter and Russian by the cut ending of
desk.kb_words.stem. https://www.sqlite.org/fts5.html#the_bm25_function,
https://www.postgresql.org/docs/15/textsearch-controls.html#TEXTSEARCH-RANKING
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from desk.clock import from_iso_not_null, to_iso
from desk.kb_words import stem
from desk.store.database import Cx, Row

_BM25 = "bm25(kb_fts, 4.0, 1.0)"
_COLUMNS = (
    "id, source, path, content_hash, ticket_id, published_by, published_by_name, title, body, language, updated_at"
)


@dataclass(frozen=True)
class Article:
    """One answer: a file's article or a technician's published answer."""

    id: int
    source: str  # 'file' | 'ticket'
    title: str
    body: str
    language: str  # 'en' | 'ru'
    updated_at: datetime
    path: str | None = None
    content_hash: str | None = None
    ticket_id: int | None = None
    published_by: str | None = None
    published_by_name: str | None = None


def _article(row: Row) -> Article:
    return Article(
        id=row["id"],
        source=row["source"],
        title=row["title"],
        body=row["body"],
        language=row["language"],
        updated_at=from_iso_not_null(row["updated_at"]),
        path=row["path"],
        content_hash=row["content_hash"],
        ticket_id=row["ticket_id"],
        published_by=row["published_by"],
        published_by_name=row["published_by_name"],
    )


def get_article(cx: Cx, article_id: int) -> Article | None:
    """An article by id."""
    row = cx.one(f"SELECT {_COLUMNS} FROM kb_articles WHERE id = ?", (article_id,))
    return _article(row) if row else None


def file_hashes(cx: Cx) -> dict[str, str]:
    """Each file article's path and the hash of the content it was loaded from."""
    rows = cx.all("SELECT path, content_hash FROM kb_articles WHERE source = 'file'")
    return {row["path"]: row["content_hash"] for row in rows}


def put_file(cx: Cx, path: str, content_hash: str, title: str, body: str, language: str, now: datetime) -> None:
    """Insert or replace the article of one file (by its path)."""
    cx.execute(
        "INSERT INTO kb_articles (source, path, content_hash, title, body, language, updated_at)"
        " VALUES ('file', ?, ?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET content_hash = excluded.content_hash,"
        " title = excluded.title, body = excluded.body, language = excluded.language, updated_at = excluded.updated_at",
        (path, content_hash, title, body, language, to_iso(now)),
    )


def remove_file(cx: Cx, path: str) -> None:
    """Forget the article of a file that is gone."""
    cx.execute("DELETE FROM kb_articles WHERE source = 'file' AND path = ?", (path,))


def put_published(
    cx: Cx, ticket_id: int, aad_id: str, name: str, title: str, body: str, language: str, now: datetime
) -> int:
    """Insert or replace the answer published from a ticket (one per ticket); returns its id."""
    cx.execute(
        "INSERT INTO kb_articles (source, ticket_id, published_by, published_by_name, title, body, language,"
        " updated_at) VALUES ('ticket', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (ticket_id) DO UPDATE SET"
        " published_by = excluded.published_by, published_by_name = excluded.published_by_name,"
        " title = excluded.title, body = excluded.body, language = excluded.language, updated_at = excluded.updated_at",
        (ticket_id, aad_id, name, title, body, language, to_iso(now)),
    )
    row = cx.one("SELECT id FROM kb_articles WHERE ticket_id = ?", (ticket_id,))
    assert row is not None
    return int(row["id"])


def search_articles(cx: Cx, runs: list[str], min_hits: int, limit: int) -> list[Article]:
    """Articles having at least `min_hits` of the runs (each a prefix term), most hits first, then best ranked."""
    if not runs:
        return []
    if cx.dialect == "postgresql":
        each = "(to_tsquery('english', ?) || to_tsquery('russian', ?) || to_tsquery('simple', ?))"
        term_params = [_pg_term(run) for run in runs for _ in range(3)]
        hits = " + ".join(f"(CASE WHEN search_vector @@ {each} THEN 1 ELSE 0 END)" for _ in runs)
        anything = " || ".join(each for _ in runs)
        sql = (
            f"SELECT id, hits, score FROM (SELECT id, {hits} AS hits, ts_rank(search_vector, {anything}) AS score"
            f" FROM kb_articles WHERE search_vector @@ ({anything})) m WHERE hits >= ? ORDER BY hits DESC,"
            " score DESC, id DESC LIMIT ?"
        )
        params: list[object] = [*term_params, *term_params, *term_params, min_hits, limit]
    else:
        terms = [_fts_term(run) for run in runs]
        hits = " + ".join("(m.id IN (SELECT rowid FROM kb_fts WHERE kb_fts MATCH ?))" for _ in runs)
        sql = (
            f"SELECT id, hits, score FROM (SELECT m.id, {hits} AS hits, m.score FROM (SELECT rowid AS id, {_BM25}"
            " AS score FROM kb_fts WHERE kb_fts MATCH ?) m) h WHERE hits >= ? ORDER BY hits DESC, score, id DESC"
            " LIMIT ?"
        )
        params = [*terms, " OR ".join(terms), min_hits, limit]
    ids = [int(row["id"]) for row in cx.all(sql, params)]
    found = {article.id: article for article in _articles(cx, ids)}
    return [found[i] for i in ids if i in found]


def _articles(cx: Cx, ids: list[int]) -> list[Article]:
    if not ids:
        return []
    marks = ", ".join("?" for _ in ids)
    return [_article(row) for row in cx.all(f"SELECT {_COLUMNS} FROM kb_articles WHERE id IN ({marks})", ids)]


def _fts_term(run: str) -> str:
    """An FTS5 prefix term of one run (its Russian stem), quoted as a string: never query syntax."""
    return '"' + stem(run).replace('"', '""') + '"*'


def _pg_term(run: str) -> str:
    """A to_tsquery prefix term of one run, quoted (quotes and backslashes escaped, though a run has neither)."""
    return "'" + run.replace("\\", "\\\\").replace("'", "''") + "':*"
