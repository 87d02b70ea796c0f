"""The shipped ROME models: file format, code prior, and the fusion's contract."""

from __future__ import annotations

import numpy as np

from matching import rome, rome_model


def test_code_prior_ranks_codes_by_how_often_employers_chose_them() -> None:
    codes = ["A1101", "J1501", "K2204"]
    prior = rome_model.code_prior(codes, ["J1501", "J1501", "K2204", "Z9999"])
    assert prior.dtype == np.float32
    assert (prior[1], prior[0]) == (1.0, 0.0)  # unknown codes are ignored
    assert 0.0 < prior[2] < 1.0
    assert not rome_model.code_prior(codes, []).any()  # no offers: no prior


def test_shipped_model_is_current_and_its_scores_stay_ranked_in_unit_range() -> None:
    models = rome_model.load()
    assert models is not None
    assert models.meta["format"] == rome_model.FORMAT_VERSION
    assert models.code_prior.shape == (len(models.codes),)
    clf = rome.get_classifier()
    titles = ["Aide-soignant de nuit H/F", "Data engineer (H/F)", "Ouvrier H/F", "???"]
    descriptions = [None, "Pipelines Spark et Airflow.", "Taille des arbres fruitiers au verger.", None]
    for matches in clf.classify_many(titles, descriptions, top=5):
        scores = [m.score for m in matches]
        assert scores == sorted(scores, reverse=True)
        assert all(0.0 < s <= 1.0 for s in scores)
        assert all(m.confidence is not None and 0.0 <= m.confidence <= 1.0 for m in matches)
    assert clf.classify("???") == []
