"""The ROME classifier's outputs do not move when its batch scoring is made faster (issue 19).

``tests/data/rome_batch_golden.json`` holds the top-3 codes, scores and confidences the classifier gave
(before the per-code maximum, the TF-IDF features and the description channels were rewritten) for the
498 real offer titles of ``tests/data/rome_eval/titles.csv``, alone and with a description (the fixture
feeds' real descriptions, then distinct bench descriptions), in batches of 100 and (every seventh) one at a time.
Regenerate only for an intended change of the classifier:
``PYTHONPATH=. python -m tests.test_rome_batch_identity``.
"""

from __future__ import annotations

import csv
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.speed import distinct_jobs
from matching import tfidf
from matching.rome import RomeMatch, _per_code_max, get_classifier

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "rome_batch_golden.json"


def _cases() -> tuple[list[str], list[str | None]]:
    with (DATA / "rome_eval" / "titles.csv").open(encoding="utf-8", newline="") as handle:
        titles = [row["title"] for row in csv.DictReader(handle)]
    jobs = distinct_jobs(len(titles), seed=5)
    descriptions: list[str | None] = [None] * len(titles)
    # the same titles again, each with a description: every third one a blank one (the title alone decides)
    described = [job["description"] if i % 3 else " " for i, job in enumerate(jobs)]
    return titles + titles + [job["title"] for job in jobs], descriptions + described + [None] * len(jobs)


def _flat(matches: list[list[RomeMatch]]) -> list[list[list[object]]]:
    return [[[m.code, m.score, m.confidence] for m in row] for row in matches]


def _batched(titles: list[str], descriptions: list[str | None]) -> list[list[list[object]]]:
    classifier = get_classifier()
    out: list[list[list[object]]] = []
    for first in range(0, len(titles), 100):
        out.extend(_flat(classifier.classify_many(titles[first : first + 100], descriptions[first : first + 100])))
    return out


def _single(titles: list[str], descriptions: list[str | None]) -> list[list[list[object]]]:
    classifier = get_classifier()
    return [_flat([classifier.classify(titles[i], descriptions[i])])[0] for i in range(0, len(titles), 7)]


def _same(expected: list[list[list[object]]], got: list[list[list[object]]]) -> list[int]:
    """Indices of the titles whose codes differ or whose scores/confidences differ by more than 1e-9."""
    bad = []
    for i, (a, b) in enumerate(zip(expected, got, strict=True)):
        if [m[0] for m in a] != [m[0] for m in b] or any(
            abs(float(x[k]) - float(y[k])) > 1e-9 for x, y in zip(a, b, strict=True) for k in (1, 2)
        ):
            bad.append(i)
    return bad


@pytest.fixture(scope="module")
def golden() -> dict[str, list[list[list[object]]]]:
    if not get_classifier().models:
        pytest.skip("modèle ROME absent")
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_batches_give_the_recorded_top_three_codes_and_scores(golden: dict[str, list[list[list[object]]]]) -> None:
    titles, descriptions = _cases()
    got = _batched(titles, descriptions)
    assert len(got) == len(golden["batched"]) == 3 * 498
    assert _same(golden["batched"], got) == []
    assert sum(1 for row in got if row) > 1400  # the titles are classified, not left empty


def test_one_at_a_time_gives_the_recorded_outputs_too(golden: dict[str, list[list[list[object]]]]) -> None:
    # (one title alone takes another path, ``_one_title_scores``: float32 sums in another order than a batch's)
    got = _single(*_cases())
    assert len(got) == len(golden["single"]) == 214
    assert _same(golden["single"], got) == []


def test_tfidf_row_norms_are_the_same_by_block_and_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """``CompactTfidf`` normalises rows in one zero-padded block, or row by row for a very long document."""
    models = get_classifier().models
    if models is None or not isinstance(models._desc, tfidf.CompactTfidf):  # noqa: SLF001
        pytest.skip("modèle ROME absent")
    titles, descriptions = _cases()
    texts = [d or "" for d in descriptions] + titles + ["Œnologue — ÀÉÎÕÜ ß ﬁ ² ½ ™ e\u0301 c\u0327 " * 50]
    for vectorizer in (models._desc, models._char, models._word):  # noqa: SLF001
        block = vectorizer.transform(texts)
        monkeypatch.setattr(tfidf, "_BLOCK_CELLS", 0)
        rows = vectorizer.transform(texts)
        monkeypatch.undo()
        assert block.nnz > len(texts)
        assert np.array_equal(block.indptr, rows.indptr)
        assert np.array_equal(block.indices, rows.indices)
        assert np.array_equal(block.data, rows.data)


def test_per_code_maximum_equals_numpy_maximum_at() -> None:
    """Both paths of ``_per_code_max`` (references stored code by code, or in any order) give exactly what
    ``np.maximum.at`` gave, on the real similarity matrix of a batch of titles."""
    classifier = get_classifier()
    titles, _ = _cases()
    sims = classifier._query_matrix([classifier.prepare(t) for t in titles[:150]]) @ classifier._index_t  # noqa: SLF001
    codes, weights = classifier._ref_code, classifier._ref_weight  # noqa: SLF001
    expected = np.zeros((sims.shape[0], len(classifier.codes)), dtype=np.float32)
    rows = np.repeat(np.arange(sims.shape[0]), np.diff(sims.indptr))
    np.maximum.at(expected, (rows, codes[sims.indices]), sims.data * weights[sims.indices])
    shuffle = np.random.default_rng(19).permutation(len(codes))
    for matrix, code, weight in (
        (sims.copy(), codes, weights),
        (sims[:, shuffle].tocsr(), codes[shuffle], weights[shuffle]),
    ):
        got = np.zeros_like(expected)
        _per_code_max(got, matrix, code, weight)
        assert np.array_equal(got, expected)
    assert np.count_nonzero(expected) > 150 * 50


def test_char_replacer_is_str_translate() -> None:
    from matching import text  # noqa: PLC0415

    rng = random.Random(19)
    alphabet = "abcé œŒæÆß’‘`\u00a0\u202f<>&x\u0301"
    samples = [
        "",
        "aucun caractère remplacé",
        "Œuvre d’art",
        *("".join(rng.choices(alphabet, k=rng.randint(1, 40))) for _ in range(3000)),
    ]
    for table in (text._LIGATURES, text._FAST_LIGATURES, {ord("a"): None, ord("b"): ord("c"), ord("é"): "e"}):  # noqa: SLF001
        replace = text.char_replacer(table)
        assert [replace(s) for s in samples] == [s.translate(table) for s in samples]


if __name__ == "__main__":
    sys.path.insert(0, str(DATA.parent.parent))
    GOLDEN.write_text(json.dumps({"batched": _batched(*_cases()), "single": _single(*_cases())}), encoding="utf-8")
    print(f"{GOLDEN} written")
