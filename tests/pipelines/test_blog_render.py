"""Blog Markdown rendering: markdown-it-py (CommonMark) sanitised by nh3."""

from __future__ import annotations

import pytest

from pipelines.blog import plain_excerpt, render, slugify


def test_render__script_tags__removed_with_their_content() -> None:
    # Given Markdown with a script element inline and as a block
    html = render("Hello <script>alert(1)</script> world\n\n<script>\nsteal()\n</script>\n")
    # Then neither the element nor its code survives, the text does
    assert "<script" not in html.lower() and "alert(1)" not in html and "steal()" not in html
    assert "Hello" in html and "world" in html


@pytest.mark.parametrize(
    "markdown",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "[click](  javascript:alert(1) )",
        "![img](javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
    ],
)
def test_render__dangerous_link_schemes__href_dropped_text_kept(markdown: str) -> None:
    html = render(markdown)
    lowered = html.lower()
    assert "javascript:" not in lowered and "vbscript:" not in lowered and "data:" not in lowered
    assert "href=" not in lowered and "src=" not in lowered


def test_render__event_handlers_and_iframes__removed() -> None:
    html = render(
        '<img src="https://example.com/a.png" onerror="alert(1)"> <iframe src="https://x.test"></iframe>'
    )
    assert "onerror" not in html and "<iframe" not in html
    assert 'src="https://example.com/a.png"' in html


def test_render__ordinary_markdown__rendered() -> None:
    html = render("# Title\n\nSome *text* with [a link](https://example.com) and `code`.\n\n- one\n- two\n")
    assert "<h1>Title</h1>" in html
    assert "<em>text</em>" in html and "<code>code</code>" in html and "<li>one</li>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer">a link</a>' in html


def test_render__code_block_with_markup__shown_escaped_not_executed() -> None:
    html = render("```\n<script>alert(1)</script>\n```")
    assert "<script" not in html and "&lt;script&gt;" in html


def test_slugify__title_with_accents_and_punctuation__ascii_dashes() -> None:
    assert slugify("Hello, Wörld! Ça va?") == "hello-world-ca-va"
    assert slugify("  --  ") == "post"
    assert len(slugify("x" * 500)) == 120


def test_plain_excerpt__long_markdown__text_only_cut_at_a_word() -> None:
    excerpt = plain_excerpt("# Big news\n\n" + "word " * 200 + "<script>x()</script>", limit=50)
    assert excerpt.startswith("Big news word")
    assert excerpt.endswith("…") and len(excerpt) <= 51 and "<" not in excerpt
