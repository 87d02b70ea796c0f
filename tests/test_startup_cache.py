"""Crawl start-up (issue 19): the prebuilt classifier and gazetteer (``matching.cache``), the compact TF-IDF
(``matching.tfidf``) that spares a crawl process scikit-learn, and what a crawl process imports."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from matching import cache, rome_model
from matching.tfidf import CompactTfidf, compact_vectorizers

ROOT = Path(__file__).resolve().parent.parent
FEEDS = [ROOT.parent / "shared" / "fixtures" / "feeds", ROOT / "tests" / "data" / "feeds"]


def _fixture_texts() -> list[str]:
    """Titles and descriptions of the fixture feeds (JSON and XML text, split in pieces of real wording)."""
    texts: list[str] = []
    for folder in FEEDS:
        for path in sorted(folder.glob("*.*")) if folder.exists() else []:
            if path.suffix in (".xml", ".rss", ".json", ".csv"):
                raw = path.read_text(encoding="utf-8", errors="replace")
                texts.extend(raw[i : i + 400] for i in range(0, min(len(raw), 20_000), 400))
    with (ROOT / "tests" / "data" / "rome_eval" / "titles.csv").open(encoding="utf-8", newline="") as handle:
        texts.extend(row["title"] for row in csv.DictReader(handle))
    return texts


def test_cached_build_writes_once_then_loads_an_equal_copy(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("OHMYLOT_CACHE_DIR", str(tmp_path / "cache"))
    built: list[int] = []

    def build() -> dict[str, object]:
        built.append(1)
        return {"codes": ["J1501", "K2204"], "matrix": np.arange(6).reshape(2, 3)}

    first = cache.cached_build("unit", build)
    second = cache.cached_build("unit", build)
    assert built == [1]
    assert second is not first
    assert second["codes"] == first["codes"]
    assert np.array_equal(second["matrix"], first["matrix"])
    (file,) = (tmp_path / "cache").glob("unit-*.pickle")
    assert cache.source_hash() in file.name
    assert oct((tmp_path / "cache").stat().st_mode & 0o777) == "0o700"

    file.write_bytes(b"not a pickle")  # corrupt: rebuilt and rewritten
    assert cache.cached_build("unit", build)["codes"] == ["J1501", "K2204"]
    assert built == [1, 1]
    assert cache.cached_build("unit", build)["codes"] == ["J1501", "K2204"]
    assert built == [1, 1]

    monkeypatch.setenv("OHMYLOT_CACHE_DIR", "off")
    cache.cached_build("unit", build)
    assert built == [1, 1, 1]


def test_unwritable_cache_directory_only_costs_the_build(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("OHMYLOT_CACHE_DIR", str(blocker / "cache"))
    assert cache.cached_build("unit", lambda: [1, 2, 3]) == [1, 2, 3]


def test_compact_tfidf_is_bit_identical_to_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    models = rome_model.LinearModels()
    texts = _fixture_texts()
    assert len(texts) > 600
    swapped = compact_vectorizers(models, texts)
    assert sorted(swapped) == sorted(n for n in ("_word", "_char", "_desc") if getattr(models, n, None) is not None)
    for name in swapped:
        compact = getattr(models, name)
        assert isinstance(compact, CompactTfidf)
    # Other options than the shipped model's: same matrices as scikit-learn fitted on the same texts.
    for params in (
        {"analyzer": "word", "ngram_range": (1, 3)},
        {"analyzer": "word", "ngram_range": (2, 2), "lowercase": False},
        {"analyzer": "char_wb", "ngram_range": (1, 4), "strip_accents": "unicode"},
        {"analyzer": "word", "sublinear_tf": True, "strip_accents": "unicode"},
    ):
        reference = TfidfVectorizer(**params).fit(texts[::2])
        compact = CompactTfidf(reference.get_params(), reference.vocabulary_, np.asarray(reference.idf_))
        expected, got = reference.transform(texts[1::2]), compact.transform(texts[1::2])
        assert np.array_equal(expected.indptr, got.indptr)
        assert np.array_equal(expected.indices, got.indices)
        assert np.array_equal(expected.data, got.data), params


def test_unsupported_options_keep_scikit_learn() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    class Holder:
        pass

    holder = Holder()
    holder.vec = TfidfVectorizer(analyzer="char", ngram_range=(2, 3)).fit(["aide soignant", "cuisinier"])  # type: ignore[attr-defined]
    holder.other = TfidfVectorizer(stop_words=["de"]).fit(["aide de cuisine", "chef de rang"])  # type: ignore[attr-defined]
    assert compact_vectorizers(holder, ["aide soignante de nuit"]) == []
    assert type(holder.vec).__name__ == "TfidfVectorizer"  # type: ignore[attr-defined]


def test_prebuilt_classifier_ranks_like_a_fresh_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from matching import rome

    monkeypatch.setenv("OHMYLOT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(rome, "_instance", None)
    rome.get_classifier()  # builds and writes
    monkeypatch.setattr(rome, "_instance", None)
    loaded = rome.get_classifier()  # loads
    fresh = rome.RomeClassifier()  # scikit-learn's vectorisers, built from the CSV files
    assert type(fresh.models._word).__name__ == "TfidfVectorizer"  # noqa: SLF001
    titles = [t for t in _fixture_texts() if len(t) < 120][:300]
    descriptions = [None if i % 3 == 0 else _fixture_texts()[i % 40] for i in range(len(titles))]
    got = loaded.classify_many(titles, descriptions, top=3)
    expected = fresh.classify_many(titles, descriptions, top=3)
    assert [[m.as_dict() for m in row] for row in got] == [[m.as_dict() for m in row] for row in expected]
    assert [m.as_dict() for m in loaded.classify("Aide-soignant de nuit H/F", "Soins, toilette")] == [
        m.as_dict() for m in fresh.classify("Aide-soignant de nuit H/F", "Soins, toilette")
    ]


def test_a_crawl_process_imports_neither_scikit_learn_nor_alembic_nor_aiohttp(tmp_path) -> None:  # type: ignore[no-untyped-def]
    feed = next(p / "hellowork.xml" for p in FEEDS if (p / "hellowork.xml").exists())
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "SCRAPY_SETTINGS_MODULE": "crawlers.settings",
        "OHMYLOT_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "OHMYLOT_DATA_DIR": str(tmp_path),
    }
    from matching.rome import get_classifier

    get_classifier()  # the prebuilt classifier exists in this session's cache directory
    out = tmp_path / "offers.jsonl"
    command = [sys.executable, "-X", "importtime", "-m", "scrapy", "crawl", "hellowork", "-a", "source=hw",
               "-a", f"url={feed.as_uri()}", "-s", "OHMYLOT_STORE_ENABLED=False", "-O", str(out)]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    offers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert offers
    assert any(o.get("rome_code") for o in offers)
    modules = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time")}
    assert "matching.rome" in modules
    assert "scrapy" in modules
    assert not {"sklearn", "alembic", "aiohttp", "redis"} & modules


@pytest.mark.parametrize("kind", ["gazetteer"])
def test_prebuilt_gazetteer_resolves_like_a_fresh_one(kind, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from matching.geo import Gazetteer

    monkeypatch.setenv("OHMYLOT_CACHE_DIR", str(tmp_path / "cache"))
    cache.cached_build(kind, Gazetteer)
    loaded = cache.cached_build(kind, lambda: pytest.fail("rebuilt instead of loaded"))
    fresh = Gazetteer()
    for text in ("Cahors", "ST CERE", "46 - FIGEAC", "Souillac (46200)", "Paris 15e", "Brive", "Toulouse, Occitanie"):
        assert loaded.resolve(text) == fresh.resolve(text)


def test_processes_started_together_build_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Three processes asking for the same missing index at once: one builds it, the others load its file."""
    script = (
        "import sys, time\n"
        "from matching.cache import cached_build\n"
        "def build():\n"
        "    print('built', flush=True)\n"
        "    time.sleep(1.0)\n"
        "    return list(range(1000))\n"
        "assert cached_build('together', build) == list(range(1000))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OHMYLOT_CACHE_DIR": str(tmp_path / "cache")}
    running = [
        subprocess.Popen([sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True)  # noqa: S603
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in running]
    assert [process.returncode for process in running] == [0, 0, 0]
    assert "".join(outputs).count("built") == 1
