"""The knowledge base's use cases, one transaction each: loading the folder's articles, publishing a ticket's
answer, searching, and the offers made to a customer before a ticket with what came of them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from desk.clock import Clock, utc_now
from desk.kb_files import Folder
from desk.kb_words import MAX_TERMS, content_runs, runs
from desk.store import drafts as draft_sql
from desk.store import kb as kb_sql
from desk.store import kb_offers as offer_sql
from desk.store.database import Cx, Database
from desk.store.drafts import Draft
from desk.store.kb import Article
from desk.store.kb_offers import Offer

OFFERED = 3  # answers offered to a customer at most


@dataclass(frozen=True)
class Prepared:
    """A ticket form's draft, whether answers were offered before it already, and the answers to its description."""

    draft: Draft | None
    offered: bool
    answers: list[Article]


@dataclass(frozen=True)
class Synced:
    """What one load of the folder changed."""

    added: int = 0
    changed: int = 0
    removed: int = 0


class KnowledgeBase:
    """Articles, published answers, searches and offers, over the desk's database."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self._clock = clock

    async def load_folder(self, folder: Folder) -> Synced:
        """Bring the file articles in step with the folder: new and changed files (by content hash) written, files
        gone removed. Idempotent: a second instance loading the same folder changes nothing."""
        now = self._clock()

        def work(cx: Cx) -> Synced:
            known = kb_sql.file_hashes(cx)
            added = changed = 0
            for article in folder.articles:
                if known.get(article.path) == article.content_hash:
                    continue
                added, changed = (added + 1, changed) if article.path not in known else (added, changed + 1)
                kb_sql.put_file(
                    cx, article.path, article.content_hash, article.title, article.body, article.language, now
                )
            gone = [path for path in known if path not in folder.present]
            for path in gone:
                kb_sql.remove_file(cx, path)
            return Synced(added, changed, len(gone))

        return await self.db.run(work)

    async def publish(self, ticket_id: int, aad_id: str, name: str, title: str, body: str, language: str) -> Article:
        """Publish (or replace) the answer of a ticket, as the technician wrote it in the form."""
        now = self._clock()

        def work(cx: Cx) -> Article:
            article_id = kb_sql.put_published(cx, ticket_id, aad_id, name, title, body, language, now)
            article = kb_sql.get_article(cx, article_id)
            assert article is not None
            return article

        return await self.db.run(work)

    async def article(self, article_id: int) -> Article | None:
        """An article by id."""
        return await self.db.read(lambda cx: kb_sql.get_article(cx, article_id))

    async def search(self, words: str, limit: int = 5) -> list[Article]:
        """A technician's search: articles with every word (as the start of a word), best first. A pasted log is
        searched by its first MAX_TERMS words: a term each is an expression SQLite refuses past ~1,000 terms."""
        wanted = runs(words)[:MAX_TERMS]
        return await self.db.read(lambda cx: kb_sql.search_articles(cx, wanted, len(wanted), limit))

    async def matching(self, description: str, limit: int = OFFERED) -> list[Article]:
        """Answers to a customer's description: articles having several of its words (filler words dropped; two,
        or a quarter of a long description's words), most in common first."""
        wanted = content_runs(description)
        return await self.db.read(lambda cx: kb_sql.search_articles(cx, wanted, _least(wanted), limit))

    async def prepare(self, draft_id: str, description: str, limit: int = OFFERED) -> Prepared:
        """What a submitted form needs, in the one read that also loads its draft: a knowledge base costs a submit
        no transaction of its own."""
        wanted = content_runs(description)

        def work(cx: Cx) -> Prepared:
            draft = draft_sql.get_draft(cx, draft_id)
            offered = bool(offer_sql.offers_of_draft(cx, draft_id))
            return Prepared(draft, offered, kb_sql.search_articles(cx, wanted, _least(wanted), limit))

        return await self.db.read(work)

    async def offer(self, draft_id: str, tenant_id: str, aad_id: str, shown: list[tuple[str, str]]) -> list[Offer]:
        """Record the answers shown before the ticket form `draft_id` ((source, key) each); returns the offers."""
        offers = [Offer(secrets.token_urlsafe(9), draft_id, tenant_id, aad_id, source, key) for source, key in shown]
        now = self._clock()
        await self.db.run(lambda cx: offer_sql.add_offers(cx, offers, now))
        return offers

    async def offered(self, offer_id: str) -> Offer | None:
        """An offer by id."""
        return await self.db.read(lambda cx: offer_sql.get_offer(cx, offer_id))

    async def offers_of(self, draft_id: str) -> list[Offer]:
        """The offers made before one ticket form."""
        return await self.db.read(lambda cx: offer_sql.offers_of_draft(cx, draft_id))

    async def solved(self, offer_id: str) -> bool:
        """The customer says this answer solved it; False when they had opened a ticket anyway."""
        now = self._clock()
        return await self.db.run(lambda cx: offer_sql.mark_solved(cx, offer_id, now))

    async def needed_help(self, draft_id: str, ticket_id: int | None) -> None:
        """The customer still needed help after the offers of this draft (the ticket once opened)."""
        now = self._clock()
        await self.db.run(lambda cx: offer_sql.mark_needed_help(cx, draft_id, ticket_id, now))


def _least(wanted: list[str]) -> int:
    """How many of a description's words an answer must have: two (one of a one-word description), or a quarter of
    a long description's words."""
    return max(min(2, len(wanted)), len(wanted) // 4)
