"""The bench's summary table (harness/checks/bench/report.py)."""

from __future__ import annotations

from harness.checks.bench import report


def _results() -> dict:
    return {
        "meta": {"shape": "tiny", "dtype": "float32", "device": "cpu", "device_name": "x86", "random_weights": True,
                 "torch": "2.x", "transformers": "5.x", "date": "today"},
        "detection_throughput": {
            "context_tokens": 256, "detection": {"context_tokens_per_s": 12345.6},
            "plain_sdpa": {"status": "error"}, "ratios": {"detection_over_plain_sdpa": 1.25},
            "breakdown": {"decode_step": {"plain_ms": 1.0, "probed_ms": 1.5}}},
        "memory": {"unit": "GiB", "detection": {"32768": {"status": "ok", "peak_gib": 30.5, "seconds": 2.0}},
                   "reference": {"8192": {"status": "OOM"}}},
        "ablation": {"unique_head_sets": 13, "questions": 4, "batched": {"conditions_per_s": 50.0}},
        "projection": {"ours": {"total_minutes": 12.3}, "end_to_end_speedup": 7.0},
        "targets": [{"id": "detection_overhead", "target": "<= 1.3", "pass": True, "applicable": False},
                    {"id": "study_minutes", "target": "<= 20", "pass": True, "applicable": True},
                    {"id": "memory_32k", "target": "fits in 80 GB", "pass": None, "applicable": True}],
        "errors": {"detection_throughput.plain_sdpa": "RuntimeError: boom"},
    }


def test_format_table_lines():
    lines = report.format_table(_results()).splitlines()
    assert lines[0].startswith("bench: tiny float32 on cpu (x86), random weights=True, torch 2.x")
    assert lines[1] == "" and lines[2].startswith("micro-benchmarks")  # no pipeline section in this result
    assert lines[3].split() == ["measure", "value", "target", "result"]
    by_measure = {line.split("  ")[0].strip(): line for line in lines[4:]}
    assert "12,346" in by_measure["detection @ 256 (context tok/s)"]
    assert by_measure["plain_sdpa @ 256 (context tok/s)"].split()[-1] == "error"
    assert by_measure["reference @ 256 (context tok/s)"].split()[-1] == "-"
    sdpa = by_measure["detection / plain SDPA (same calls)"]
    assert "1.25x" in sdpa and "<= 1.3" in sdpa and sdpa.endswith("(PASS, n/a here)")
    assert "1.0 -> 1.5" in by_measure["decode step ms, plain -> probed"]
    assert "question suffix ms, plain -> probed" not in by_measure
    mem = by_measure["memory detection @ 32768"]
    assert "30.50 GiB, 2.00 s" in mem and mem.endswith("-")  # target without a verdict yet
    assert by_measure["memory reference @ 8192"].split()[-1] == "OOM"
    assert by_measure["study projection, ours (min)"].endswith("PASS")
    assert "7.0x" in by_measure["end-to-end speedup"] and "-x" in by_measure["ablation speedup"]
    assert lines[-2:] == ["errors (1):", "  detection_throughput.plain_sdpa: RuntimeError: boom"]


def test_format_table_of_an_empty_result():
    text = report.format_table({})
    assert "detection @ None (context tok/s)" in text and "errors" not in text


def test_the_pipeline_section_comes_first():
    res = _results()
    res["pipeline"] = {"train_filings": 36, "test_filings": 9, "config": {"context_tokens": 4096, "max_new_tokens": 16},
                       "models": {"/m/instruct": {"is_instruct": True, "load_seconds": 12.0, "detect_s_per_filing": 0.5,
                                                  "ablate_s_per_filing": 1.2, "graph_captures": 7,
                                                  "graph_capture_seconds": 1.5}},
                       "projection": {"total_minutes": 8.5}}
    res["targets"].append({"id": "pipeline_detect_instruct", "target": "<= 0.8", "pass": True, "applicable": True})
    res["detection_throughput"]["decode_steps"] = {"batches": {"4": {"plain_ms": 8.0, "probed_ms": 9.0,
                                                                     "masked_ms": 8.5}}}
    text = report.format_table(res)
    assert text.index("pipeline:") < text.index("micro-benchmarks")
    line = next(x for x in text.splitlines() if x.startswith("instruct: detect (s per filing)"))
    assert "0.500" in line and line.endswith("PASS")
    assert "8.0 / 9.0 / 8.5" in text and "36 / 9" in text
