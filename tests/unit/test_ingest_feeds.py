"""Feeds, the pure core: parsing real-world-shaped RSS and Atom, item → article, dedup, backoff."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from streams.ingest import RawArticleDecoder, article_id_for
from streams.ingest.feeds import (
    FeedError,
    FeedItem,
    FeedReader,
    ItemProblem,
    PageUnavailable,
    ParsedFeed,
    backoff_delay,
    drop_leading_title,
    entry_to_item,
    extract_main_text,
    html_to_text,
    normalize_url,
    page_error_is_transient,
    parse_feed,
    parse_retry_after,
    poll_delay,
)
from tests.fixtures.feeds.server import FIXTURES, FeedSite

BASE = "http://news.example:8080"
RSS_URL = f"{BASE}/feeds/rss.xml"
ATOM_URL = f"{BASE}/feeds/atom.xml"


def document(name: str) -> bytes:
    return (FIXTURES / name).read_bytes().replace(b"{{BASE}}", BASE.encode())


class MemorySeen:
    def __init__(self, urls=(), hashes=(), rejected=()) -> None:
        self.urls, self.hashes, self.rejected = set(urls), set(hashes), set(rejected)

    def has_url(self, url: str) -> bool:
        return url in self.urls

    def has_content(self, content_hash: str) -> bool:
        return content_hash in self.hashes

    def has_rejected(self, fingerprint: str) -> bool:
        return fingerprint in self.rejected

    def add(self, batch) -> None:
        for sent in batch.sent:
            self.hashes.add(sent.content_hash)
            if sent.url:
                self.urls.add(sent.url)
        self.urls.update(url for url, _ in batch.urls)
        self.rejected.update(fingerprint for fingerprint, _, _ in batch.rejected_records())


@pytest.fixture(scope="module")
def decoder(registry):
    return RawArticleDecoder(registry)


def site_pages() -> FeedSite:
    return FeedSite(base=BASE)


def fetch_from_site(site: FeedSite):
    def fetch(url: str) -> bytes:
        status, _, body = site.respond(url.removeprefix(BASE), {})
        if status != 200:
            raise PageUnavailable(f"HTTP {status}", transient=page_error_is_transient(status))
        return body

    return fetch


# --- URLs and text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://Example.COM:443/a/b.html#top", "https://example.com/a/b.html"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x?id=3&utm_source=rss&utm_medium=feed", "http://example.com:8080/x?id=3"),
        ("https://example.com/x?fbclid=abc&gclid=1", "https://example.com/x"),
        ("/world/story.html", "http://news.example:8080/world/story.html"),
        ("../up.html", "http://news.example:8080/up.html"),
        ("mailto:desk@example.com", None),
        ("javascript:void(0)", None),
        ("   ", None),
    ],
)
def test_normalize_url(given, expected):
    assert normalize_url(given, f"{BASE}/feeds/rss.xml") == expected


def test_html_to_text_keeps_paragraphs_and_drops_scripts_captions_and_markup():
    html = (
        "<h2>Heading</h2><p>One &amp; <a href='/x'>two</a>&#8217;s\n  line.</p>"
        "<figure><img src='a.jpg'/><figcaption>Photo: Someone</figcaption></figure>"
        "<script>var x = '<p>no</p>';</script><style>p{}</style>"
        "<ul><li>First</li><li>Second</li></ul>Tail<br/>after&nbsp;break"
    )
    assert html_to_text(html) == "Heading\n\nOne & two’s line.\n\nFirst\n\nSecond\n\nTail\n\nafter break"


def test_html_to_text_of_plain_text_and_empty_markup():
    assert html_to_text("just words") == "just words"
    assert html_to_text("<div><p> </p><script>x</script></div>") == ""


def test_extract_main_text_finds_the_article_in_a_whole_page():
    page = (FIXTURES / "pages/world/2025/03/04/eu-defence-summit.html").read_bytes()
    text = extract_main_text(page, f"{BASE}/world/2025/03/04/eu-defence-summit.html")
    assert text is not None
    assert "European Union leaders gathered in Brussels" in text
    assert text.rstrip().endswith("a common approach to buying equipment.")
    for boilerplate in ("cookies", "Most read", "All rights reserved", "Photograph", "gtag", "Share on X"):
        assert boilerplate not in text
    body = drop_leading_title(text, "EU leaders meet in Brussels to discuss a joint defence fund")
    assert body.startswith("European Union leaders gathered")


def test_a_page_without_an_article_is_no_text(decoder):
    def fetch(url: str) -> bytes:
        return b"<html><body><nav><a href='/'>Home</a></nav><p>Subscribe to read.</p></body></html>"

    item = entry_to_item({"link": "/paywalled.html", "title": "T"}, 1, RSS_URL)
    assert isinstance(item, FeedItem)
    batch = FeedReader(decoder, fetch_page=fetch, seen=MemorySeen()).read(
        ParsedFeed(RSS_URL, "rss20", None, [item]), source="feed:x", ingested_at="t"
    )
    assert batch.articles == [] and [p.reason for p in batch.rejected] == ["no_text"]


def test_drop_leading_title_only_drops_an_equal_first_paragraph():
    assert drop_leading_title("Title here\n\nBody.", "title  HERE") == "Body."
    assert drop_leading_title("Other\n\nBody.", "Title") == "Other\n\nBody."
    assert drop_leading_title("Title", "Title") == "Title"  # never to nothing


# --- parsing -------------------------------------------------------------------------------------------


def test_parse_rss_items_problems_and_relative_links():
    feed = parse_feed(document("rss.xml"), url=RSS_URL, content_type="application/rss+xml")
    assert feed.version == "rss20" and feed.warning is None
    assert feed.title == "The Harbour Ledger – World"
    items = [i for i in feed.items if isinstance(i, FeedItem)]
    problems = {p.reason: p for p in feed.items if isinstance(p, ItemProblem)}
    assert set(problems) == {"no_link_or_content", "unparseable_date"}
    assert problems["no_link_or_content"].label == "live-placeholder-77"
    assert "around lunchtime" in problems["unparseable_date"].message
    first, second = items[0], items[1]
    assert first.url == f"{BASE}/world/2025/03/04/minimum-tax-timetable.html"  # tracking params gone
    assert first.published == "2025-03-04T07:30:00Z"
    assert first.authors == ("Priya Raman",)
    assert first.content_html and "adsbygoogle" not in html_to_text(first.content_html)
    assert second.url == f"{BASE}/world/2025/03/04/eu-defence-summit.html"  # relative link resolved
    assert second.content_html is None and second.summary_html
    wind = next(i for i in items if "wind" in (i.url or ""))
    assert wind.authors == ("Helen Okafor",)  # from "email (Name)"
    assert wind.published == "2025-03-05T08:40:00Z"


def test_parse_atom_xml_base_html_and_xhtml_content():
    feed = parse_feed(document("atom.xml"), url=ATOM_URL, content_type="application/atom+xml")
    assert feed.version == "atom10"
    items = [i for i in feed.items if isinstance(i, FeedItem)]
    problems = [p for p in feed.items if isinstance(p, ItemProblem)]
    assert [p.reason for p in problems] == ["unparseable_date"]
    bank = items[0]
    assert bank.title == "Central bank holds rates & signals cuts later this year"
    assert bank.url == f"{BASE}/business/2025/03/05/central-bank-holds-rates.html"  # via xml:base
    assert bank.published == "2025-03-05T06:00:00Z"  # +01:00 to UTC
    assert bank.authors == ("Daniel Brooks", "Mei Lin")
    assert items[1].published == "2025-03-05T08:15:00Z"  # no <published>: <updated>
    assert "Insurers in California" in html_to_text(items[1].content_html or "")
    assert "Advertisement" not in html_to_text(bank.content_html or "")  # an ad iframe's fallback text
    assert items[3].url == f"{BASE}/world/2025/03/04/eu-defence-summit.html"  # ../ and utm_* resolved


def test_not_a_feed_raises():
    with pytest.raises(FeedError) as caught:
        parse_feed(b"<html><body><p>Hello</p></body></html>", url=RSS_URL, content_type="text/html")
    assert caught.value.reason == "not_a_feed"
    with pytest.raises(FeedError):
        parse_feed(b"", url=RSS_URL)


def test_a_truncated_feed_still_yields_its_complete_items():
    data = document("rss.xml")
    cut = data[: data.index(b"<title>EU leaders")]
    feed = parse_feed(cut, url=RSS_URL)
    assert feed.warning  # reported, not fatal
    assert any(isinstance(i, FeedItem) and "minimum-tax" in (i.url or "") for i in feed.items)


def test_entry_without_link_but_with_summary_is_an_item():
    item = entry_to_item(
        {"title": "T", "summary": "<p>Text</p>", "summary_detail": {"type": "text/html"}}, 3, BASE
    )
    assert isinstance(item, FeedItem) and item.url is None and item.label == "'T'"


def test_entry_with_a_non_http_link_is_a_problem():
    problem = entry_to_item({"link": "ftp://example.com/file", "summary": "x"}, 1, BASE)
    assert isinstance(problem, ItemProblem) and problem.reason == "bad_link"


def test_fingerprint_changes_when_the_item_is_corrected():
    broken = {"id": "x", "title": "T", "published": "soon", "published_parsed": None, "summary": "s"}
    fixed = {**broken, "published": "Tue, 04 Mar 2025 07:30:00 +0000", "published_parsed": time.gmtime(0)}
    a, b = entry_to_item(broken, 1, BASE), entry_to_item(fixed, 1, BASE)
    assert isinstance(a, ItemProblem) and isinstance(b, FeedItem)
    assert a.fingerprint != b.fingerprint


# --- the reader: one poll's decisions ------------------------------------------------------------------


def test_reader_on_rss_sends_new_items_and_reports_duplicates_and_bad_items(decoder):
    seen = MemorySeen()
    reader = FeedReader(decoder, fetch_page=fetch_from_site(site_pages()), seen=seen)
    batch = reader.read(
        parse_feed(document("rss.xml"), url=RSS_URL),
        source=f"feed:{RSS_URL}",
        ingested_at="2025-03-05T10:00:00.000Z",
    )
    urls = [a.url for a in batch.articles]
    assert urls == [
        f"{BASE}/world/2025/03/04/minimum-tax-timetable.html",
        f"{BASE}/world/2025/03/04/eu-defence-summit.html",
        f"{BASE}/uk/2025/03/05/wind-licence-review.html",
    ]
    assert sorted(d.reason for d in batch.duplicates) == ["duplicate_content", "duplicate_url"]
    assert sorted(p.reason for p in batch.rejected) == [
        "no_link_or_content",
        "not_english",
        "unparseable_date",
    ]
    assert batch.complete and not batch.retry
    tax, summit, wind = batch.articles
    assert tax.body.startswith("Finance ministers from more than forty countries")
    assert "Photo:" not in tax.body and "adsbygoogle" not in tax.body and "&amp;" not in tax.body
    assert "first planned" in tax.body and "deal & its many exemptions" in tax.body
    assert summit.body.startswith("European Union leaders gathered")  # fetched and extracted, no headline
    assert summit.title == "EU leaders meet in Brussels to discuss a joint defence fund"
    assert wind.body.startswith("Judges say the environmental assessment was flawed")
    for article in batch.articles:
        assert article.source == f"feed:{RSS_URL}"
        assert article.ingested_at == "2025-03-05T10:00:00.000Z"
        assert article.article_id == article_id_for(article.body)
        assert article.published and article.published.startswith("2025-03-0")
    # The syndicated copy (different URL, same text) is a content duplicate; its URL is remembered.
    assert [url for url, _ in batch.urls] == [f"{BASE}/partners/wire/2025/03/04/ministers-minimum-tax.html"]


def test_a_second_read_of_the_same_feed_sends_nothing_and_fetches_nothing(decoder):
    seen = MemorySeen()
    fetched: list[str] = []
    site_fetch = fetch_from_site(site_pages())

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return site_fetch(url)

    reader = FeedReader(decoder, fetch_page=fetch, seen=seen)
    feed = parse_feed(document("rss.xml"), url=RSS_URL)
    seen.add(reader.read(feed, source="feed:x", ingested_at="2025-03-05T10:00:00Z"))
    fetched.clear()
    again = reader.read(feed, source="feed:x", ingested_at="2025-03-05T11:00:00Z")
    assert again.articles == [] and again.rejected == []
    assert again.known_rejected == 3  # reported the first time, counted quietly after
    assert fetched == []  # seen URLs are not fetched again


def test_cross_feed_duplicates_by_url(decoder):
    seen = MemorySeen()
    reader = FeedReader(decoder, fetch_page=fetch_from_site(site_pages()), seen=seen)
    seen.add(reader.read(parse_feed(document("rss.xml"), url=RSS_URL), source="feed:rss", ingested_at="t"))
    batch = reader.read(parse_feed(document("atom.xml"), url=ATOM_URL), source="feed:atom", ingested_at="t")
    assert [a.title for a in batch.articles] == [
        "Central bank holds rates & signals cuts later this year",
        "Insurers warn of rising costs after record wildfire season",
        "Dock workers strike at the port of Rotterdam",
    ]
    assert [d.as_dict() for d in batch.duplicates] == [
        {"item": f"{BASE}/world/2025/03/04/eu-defence-summit.html", "reason": "duplicate_url"}
    ]
    assert [p.reason for p in batch.rejected] == ["unparseable_date"]
    rotterdam = batch.articles[2]
    assert (
        rotterdam.body.startswith("Thousands of dock workers")
        and "First! Great article" not in rotterdam.body
    )


def test_transient_page_failure_is_retried_not_rejected(decoder):
    site = site_pages()
    site.failures["/world/2025/03/04/eu-defence-summit.html"] = (503, {})
    seen = MemorySeen()
    reader = FeedReader(decoder, fetch_page=fetch_from_site(site), seen=seen)
    batch = reader.read(parse_feed(document("rss.xml"), url=RSS_URL), source="feed:x", ingested_at="t")
    assert [p.reason for p in batch.retry] == ["page_unavailable"]
    assert not batch.complete
    assert all("eu-defence" not in (a.url or "") for a in batch.articles)
    seen.add(batch)
    del site.failures["/world/2025/03/04/eu-defence-summit.html"]
    later = reader.read(parse_feed(document("rss.xml"), url=RSS_URL), source="feed:x", ingested_at="t")
    assert [a.url for a in later.articles] == [f"{BASE}/world/2025/03/04/eu-defence-summit.html"]


def test_page_gone_for_good_uses_the_feed_teaser_or_rejects(decoder):
    site = site_pages()
    site.failures["/world/2025/03/04/eu-defence-summit.html"] = (404, {})
    reader = FeedReader(decoder, fetch_page=fetch_from_site(site), seen=MemorySeen())
    batch = reader.read(parse_feed(document("rss.xml"), url=RSS_URL), source="feed:x", ingested_at="t")
    problem = next(p for p in batch.rejected if "eu-defence" in p.label)
    assert problem.reason == "page_unavailable" and "HTTP 404" in problem.message
    assert batch.complete


def test_short_content_with_a_link_fetches_the_page(decoder):
    entry = {
        "link": "/world/2025/03/04/eu-defence-summit.html",
        "title": "EU leaders meet in Brussels to discuss a joint defence fund",
        "content": [{"type": "text/html", "value": "<p>Leaders gathered. Read more</p>"}],
    }
    item = entry_to_item(entry, 1, BASE + "/feeds/rss.xml")
    assert isinstance(item, FeedItem)
    reader = FeedReader(decoder, fetch_page=fetch_from_site(site_pages()), seen=MemorySeen())
    batch = reader.read(ParsedFeed(RSS_URL, "rss20", None, [item]), source="feed:x", ingested_at="t")
    assert batch.articles[0].body.startswith("European Union leaders gathered")


def test_too_large_body_is_rejected(registry):
    small = RawArticleDecoder(registry, max_body_bytes=200)
    reader = FeedReader(small, fetch_page=fetch_from_site(site_pages()), seen=MemorySeen())
    batch = reader.read(parse_feed(document("atom.xml"), url=ATOM_URL), source="feed:x", ingested_at="t")
    assert batch.articles == []
    assert {p.reason for p in batch.rejected} == {"body_too_large", "unparseable_date"}


# --- schedule ------------------------------------------------------------------------------------------


def test_backoff_doubles_and_caps():
    delays = [backoff_delay(n, base=10, maximum=300) for n in range(0, 8)]
    assert delays == [0.0, 10, 20, 40, 80, 160, 300, 300]
    assert backoff_delay(10_000, base=10, maximum=300) == 300  # no overflow


def test_backoff_jitter_shortens_and_retry_after_lengthens():
    assert backoff_delay(3, base=10, maximum=300, jitter=0.1) == pytest.approx(36)
    assert backoff_delay(1, base=10, maximum=300, retry_after=120) == 120
    assert backoff_delay(1, base=10, maximum=300, retry_after=86_400) == 300  # capped too


def test_poll_delay_is_the_interval_while_the_feed_answers():
    assert poll_delay(0, interval=300, base=10, maximum=3600) == 300
    assert poll_delay(0, interval=300, base=10, maximum=3600, retry_after=900) == 900
    assert poll_delay(2, interval=300, base=10, maximum=3600) == 20


def test_parse_retry_after():
    now = datetime(2025, 3, 5, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Wed, 05 Mar 2025 12:02:00 GMT", now) == 120
    assert parse_retry_after("Wed, 05 Mar 2025 11:00:00 GMT", now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    ("status", "transient"), [(404, False), (410, False), (403, False), (429, True), (503, True), (408, True)]
)
def test_page_error_classes(status, transient):
    assert page_error_is_transient(status) is transient
