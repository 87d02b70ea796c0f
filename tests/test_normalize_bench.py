"""The normalisation benchmark runs (quick mode) and reports sane figures; timings are not asserted."""

from __future__ import annotations

from bench.normalize import run


def test_quick_benchmark_reports_figures() -> None:
    result = run(quick=True)
    assert result["postings"] == 300
    assert result["postings_per_s_without_rome"]["per_cpu_second"] > 0
    coverage = result["coverage_without_rome"]
    assert coverage["place_any"] == 1.0
    assert coverage["commune"] > 0.95
    accuracy = result["place_accuracy"]
    assert accuracy["accuracy_by_form"]["Name (postal)"] == 1.0
    assert accuracy["accuracy_all_forms"] > 0.95
    assert result["load"]["gazetteer_build_cpu_s"] > 0
