"""The matching benchmark runs end to end on small sizes (figures are reported, never asserted)."""

from __future__ import annotations

from bench.matching import batch, huge, single_prospect


def test_benchmark_pieces_run_on_small_sizes() -> None:
    one = single_prospect(400, 5)
    assert one["offers"] == 400
    assert one["rank_ms_p95"] >= one["rank_ms_p50"] > 0
    many = batch(20, 200)
    assert many["proposals"] > 0
    blocked = huge(15, 600, workers=1, sample=600)
    assert blocked["offers"] >= 590
    assert blocked["prospects_with_proposals"] > 0
