"""HTML → PDF with WeasyPrint that fetches nothing (no external resource can leak a request)."""

from __future__ import annotations


def _no_fetch(url: str, *args, **kwargs):  # type: ignore[no-untyped-def]
    raise ValueError(f"ressource externe refusée dans le PDF : {url}")


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML document (inline styles only)."""
    from weasyprint import HTML  # heavy: imported when a PDF is asked for

    return HTML(string=html, url_fetcher=_no_fetch, base_url=None).write_pdf()
