"""Reading Microsoft's service-health posts: labelled parts, whole sentences, the next update's time."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from desk.incident_posts import labelled_parts, parse_when, post_news, whole_sentences


def test_labels_split_a_post_and_other_colons_stay_text():
    parts = labelled_parts("Title: Mail\nUser impact: Users can't send.\nCurrent status: Step 1: done.\nmore text")
    assert parts == {"title": "Mail", "user impact": "Users can't send.", "current status": "Step 1: done. more text"}


def test_a_post_without_labels_is_all_status_and_a_final_status_counts():
    assert post_news("We're looking into it.").status == "We're looking into it."
    assert post_news("Final status: Fixed.\nScope of impact: Some users.").status == "Fixed."


def test_next_update_times_in_both_clock_styles():
    assert parse_when("Thursday, November 26, 2026, at 14:00 UTC") == datetime(2026, 11, 26, 14, 0, tzinfo=UTC)
    assert parse_when("Friday, March 6, 2026, at 5:30 PM UTC") == datetime(2026, 3, 6, 17, 30, tzinfo=UTC)
    assert parse_when("Sat, Mar 7, 2026, at 12:05 AM UTC") == datetime(2026, 3, 7, 0, 5, tzinfo=UTC)
    assert parse_when("February 30, 2026, at 10:00 UTC") is None
    assert parse_when("Smarch 3, 2026, at 10:00 UTC") is None


def test_an_unreadable_next_update_is_kept_as_written():
    news = post_news("Current status: Working on it.\nNext update by: when the fix is deployed")
    assert (news.next_update, news.next_update_text) == (None, "when the fix is deployed")


def test_one_overlong_sentence_is_cut_at_a_word():
    cut = whole_sentences("word " * 200, 50)
    assert cut.endswith("word…") and len(cut) <= 50


@given(st.lists(st.sampled_from(["Short one.", "A longer sentence here!", "Is it?", "Word"]), max_size=40))
def test_whole_sentences_is_a_prefix_within_the_limit(pieces):
    text = " ".join(pieces)
    cut = whole_sentences(text, 60)
    assert len(cut) <= 60
    assert text.startswith(cut.removesuffix("…"))
