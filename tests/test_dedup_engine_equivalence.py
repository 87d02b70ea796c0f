"""The faster dedup engine (issue 19) decides exactly as before.

The partitions below were computed with the engine as of commit 457b726 (before the per-distinct-string
analysis, the cached comparisons and the streamed pairs): a labelled set and two synthetic sets must give the
very same offers. The fast paths are also checked against the plain code they replace.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from bench.synthetic import generate
from matching.dedup import (
    candidate_pairs,
    canonical_url,
    dedupe_records,
    description_words,
    iter_candidate_pairs,
    record_from_json,
    score_pairs,
    title_qualifier,
)
from matching.dedup_records import _QUALIFIER_NOISE, _QUALIFIER_SPLIT, _canonical_url_parsed, _place_names
from matching.text import FRENCH_STOP_WORDS, normalize_name, stem, strip_gender_marks, tokens

DATA = Path(__file__).resolve().parent / "data" / "dedup" / "postings.jsonl"

# (postings, offers, sha256 of the labels renumbered in order of first appearance), engine of 457b726
BEFORE = {
    "labelled": (1771, 893, "0e0864bf1c815645eff6f59d74e702485c0f5a35aec026e2eebd3f7453a2bf4b"),
    "lot-3000-seed5": (3000, 1531, "7501a7ff2d6138dcd9da985b41036dd4733ab17853af4186b8ad7a1cca16fd38"),
    "france-8000-seed13": (8000, 3980, "e32703424292d0a98ada08adc6695def0fad3f8554698a0c9b4672a4da702a76"),
}


def _postings(name: str) -> list[dict]:
    if name == "labelled":
        return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    if name == "lot-3000-seed5":
        return [item.data for item in generate(3000, seed=5, scope="lot")]
    return [item.data for item in generate(8000, seed=13, scope="france")]


def _renumbered(labels: list[int]) -> list[int]:
    first: dict[int, int] = {}
    return [first.setdefault(label, len(first)) for label in labels]


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_offers_are_the_same_as_before_the_speed_up(name: str) -> None:
    labels = _renumbered(dedupe_records([record_from_json(p) for p in _postings(name)]))
    digest = hashlib.sha256(json.dumps(labels).encode()).hexdigest()
    assert (len(labels), len(set(labels)), digest) == BEFORE[name]


def test_streamed_pairs_give_the_same_edges_in_the_same_order() -> None:
    records = [record_from_json(p) for p in _postings("lot-3000-seed5")]
    parts = list(iter_candidate_pairs(records))
    whole = candidate_pairs(records)
    assert len(whole) > 1000
    assert np.array_equal(np.concatenate(parts), whole)
    streamed = [(e.i, e.j, e.score) for e in score_pairs(records, iter(parts))]
    at_once = [(e.i, e.j, e.score) for e in score_pairs(records, whole)]
    assert streamed == at_once
    assert len(streamed) > 100


def test_canonical_url_fast_path_matches_the_parser() -> None:
    urls = [
        "https://www.Example.com",
        "https://www.example.com/",
        "http://x.fr//a//",
        "HTTPS://WWW.A.FR/X/",
        "https://a.fr/p?utm_source=1&id=3",
        "https://a.fr/#/apply/x",
        "https://a.fr:8080/x",
        "https://u@a.fr/x",
        " https://a.fr/x ",
        "https://a.fr/x y",
        "https://a.fr/é",
        "https://www./x",
        "https://a.fr/x;p=1",
        "https://[::1]/x",
        "https://a.fr/%20/",
        "ftp://a.fr/x",
        "https://a.fr/x#top",
        "//a.fr/x",
        "a.fr/x",
    ]
    for posting in _postings("labelled"):
        urls += [u for u in (posting.get("url"), posting.get("apply_url")) if u]
    assert [canonical_url(u) for u in urls] == [_canonical_url_parsed(u) if u and isinstance(u, str) else None for u in urls]


def test_description_words_fast_fold_matches_the_plain_fold() -> None:
    table = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "’": " ", "‘": " ", "`": " "})
    texts = [p.get("description") or "" for p in _postings("labelled")]
    texts += ["Cœur d’équipe, Straße `a` l’hôpital", "ASCII only `quoted` text", "K (kelvin) İstanbul ﬁn"]
    for text in texts:
        folded = unicodedata.normalize("NFKD", text.lower().translate(table)).encode("ascii", "ignore").decode()
        plain = frozenset(w for w in re.findall(r"[a-z0-9]+", folded) if w not in FRENCH_STOP_WORDS)
        assert description_words(text) == plain


def test_title_qualifier_per_distinct_title_matches_the_plain_code() -> None:
    def plain(title: str, place_words: set[str]) -> tuple[str, ...]:
        """``title_qualifier`` as of 457b726."""

        parts = [p for p in _QUALIFIER_SPLIT.split(strip_gender_marks(title)) if p and p.strip()]
        parts = [
            p for p in parts if not ((n := normalize_name(p)) in _place_names() and (" " in n or n in place_words))
        ]
        cleaned = [[w for w in tokens(p) if w not in _QUALIFIER_NOISE | place_words and not w.isdigit()] for p in parts]
        cleaned = [c for c in cleaned if c]
        return () if len(cleaned) < 2 else tuple(sorted({stem(w) for c in cleaned[1:] for w in c}))

    cases = [(p.get("title") or "", p.get("location") or {}) for p in _postings("labelled")]
    cases += [
        ("Infirmier H/F - Service pneumologie - Cahors", {"name": "Cahors"}),
        ("Agent (Saint-Cyr-la-Roche) - cuisine 2", {"name": "Figeac"}),
        ("Aide-soignant(e) - nuit", {}),
    ]
    for title, place in cases:
        own = set(tokens(place.get("name") or "")) | {"lot", "quercy", "france"}
        assert title_qualifier(title, own) == plain(title, own), title


def test_description_matrix_is_scikit_learns_tfidf_matrix() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from matching.dedup_compare import _description_matrix

    records = [record_from_json(p) for p in _postings("lot-3000-seed5")]
    records[7].desc_words = ("zz", "aa", "zz")  # unsorted, a word twice: counted twice, as scikit-learn does
    described = _description_matrix(records)
    assert described is not None
    ours, has = described
    vectorizer = TfidfVectorizer(analyzer=lambda words: words, dtype=np.float32, min_df=1)
    theirs = vectorizer.fit_transform([r.desc_words for r in records]).tocsr()
    assert type(ours) is type(theirs)
    assert ours.shape == theirs.shape
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # bit for bit: the same cosines, the same decisions
    assert has.sum() == sum(1 for r in records if r.desc_words)
