"""The ingest dedup store: what was sent survives a restart; feed validators and failure counts."""

from __future__ import annotations

from streams.ingest.state import STATE_FILE, FeedValidators, IngestState, SentArticle


def test_remembered_articles_urls_and_rejections_survive_a_reopen(tmp_path):
    with IngestState(tmp_path / "ingest") as state:
        assert not state.has_content("h1") and not state.has_url("https://a.example/1")
        state.remember(
            [
                SentArticle("h1", "id-1", "https://a.example/1", "feed:x"),
                SentArticle("h2", "wire-2", None, "file:/d/f"),
            ],
            urls=[("https://a.example/copy", "h1")],
            rejected=[("fp-1", "feed:x", "unparseable_date")],
        )
    assert (tmp_path / "ingest" / STATE_FILE).exists()
    with IngestState(tmp_path / "ingest") as state:
        assert state.has_content("h1") and state.has_content("h2") and not state.has_content("h3")
        assert state.has_url("https://a.example/1") and state.has_url("https://a.example/copy")
        assert state.has_rejected("fp-1") and not state.has_rejected("fp-2")
        assert state.counts() == {"articles": 2, "urls": 2, "rejected": 1, "feeds": 0}


def test_remembering_twice_is_harmless(tmp_path):
    with IngestState(tmp_path) as state:
        sent = [SentArticle("h1", "id-1", "https://a.example/1", "feed:x")]
        state.remember(sent)
        state.remember(sent, urls=[("https://a.example/1", "h1")])
        assert state.counts()["articles"] == 1 and state.counts()["urls"] == 1


def test_feed_validators_and_failures(tmp_path):
    url = "https://news.example/rss"
    with IngestState(tmp_path) as state:
        assert state.feed(url) == FeedValidators()
        state.feed_succeeded(url, etag='"abc"', last_modified="Wed, 05 Mar 2025 09:12:00 GMT")
        assert state.feed_failed(url, "HTTP 503") == 1
        assert state.feed_failed(url, "timeout") == 2
        failing = state.feed(url)
        assert failing.failures == 2 and failing.last_error == "timeout"
        assert failing.etag == '"abc"'  # a failure keeps the validators
        state.feed_polled(url)
        assert state.feed(url) == FeedValidators('"abc"', "Wed, 05 Mar 2025 09:12:00 GMT", 0, None)
    with IngestState(tmp_path) as state:
        assert state.feed(url).etag == '"abc"'


def test_two_handles_on_one_file_see_each_other(tmp_path):
    with IngestState(tmp_path) as one, IngestState(tmp_path) as two:
        one.remember([SentArticle("h1", "id-1", None, "file:/x")])
        assert two.has_content("h1")
