"""Check data-parallel runs: N GPUs through torchrun give the same result files as one process.

``python -m harness dp-check --gpus 2 [--work /tmp/dp_check]`` builds a small random-weight Llama with the
engine's small byte-level BPE tokenizer (no download), a synthetic corpus, and runs detection + ablation
twice — once in one process on one GPU, once with ``torchrun --nproc-per-node N`` — then compares every unit
file (provenance aside). Exit status 0 when they are equal. Random weights: this checks plumbing, not
findings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from harness.paths import REPO_ROOT
from harness.store.atomic import atomic_write_json


def build_model(folder: Path) -> None:
    """Save a random-weight Llama (6 layers x 8 heads, 2 KV heads) and the tiny BPE tokenizer in ``folder``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from harness.engine.models.random_weights import tiny_bpe_tokenizer

    tok = tiny_bpe_tokenizer()
    torch.manual_seed(0)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=256, intermediate_size=512, num_hidden_layers=6,
                      num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=4096,
                      rope_theta=10000.0, initializer_range=0.2)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    tok.save_pretrained(folder)


def dp_config(work: Path, model_dir: Path) -> dict[str, Any]:
    """The study configuration both runs use: a 20-filing synthetic corpus, the model on CUDA, small grids."""
    return {
        "name": "dp_check", "results_dir": str(work / "results"),
        "datasets": [{"label": "synth", "synthetic": True, "generate": {"n_filings": 20, "seed": 7},
                      "prepared_dir": str(work / "prepared")}],
        "models": [{"name": str(model_dir), "role": "instruct", "device": "cuda", "dtype": "float32"}],
        "k_grid": [0, 4, 8], "top_n": 8, "seeds": [0, 1], "context_tokens": 256, "max_new_tokens": 4,
        "n_bootstrap": 100,
    }


def strip_provenance(obj):
    """Result content without what legitimately differs between runs (provenance: time, host)."""
    if isinstance(obj, dict):
        return {k: strip_provenance(v) for k, v in obj.items() if k != "provenance"}
    if isinstance(obj, list):
        return [strip_provenance(v) for v in obj]
    return obj


def unit_files(run: Path) -> dict[str, object]:
    """Every detection/ablation result file of a run folder, provenance stripped, by relative path."""
    out: dict[str, object] = {}
    for p in sorted(run.rglob("*")):
        rel = p.relative_to(run).as_posix()
        if not rel.startswith(("detection/", "ablation/")) or not p.is_file():
            continue
        out[rel] = strip_provenance(json.loads(p.read_text())) if p.suffix == ".json" else p.read_text()
    return out


def compare_unit_files(one: dict[str, object], multi: dict[str, object]) -> tuple[bool, list[str]]:
    """(equal, differing paths): equal when both runs wrote the same non-empty set of identical files."""
    diff = sorted(k for k in set(one) | set(multi) if one.get(k) != multi.get(k))
    return one == multi and len(one) > 0, diff


def run_dp_check(gpus: int = 2, work: Path = Path("/tmp/dp_check")) -> int:
    """Run the check with ``gpus`` processes in ``work``; 0 when every unit file is equal."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    model_dir = work / "model"
    if not (model_dir / "config.json").exists():
        build_model(model_dir)
    cfg_path = atomic_write_json(work / "config.json", dp_config(work, model_dir))
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    py = [sys.executable, "-m", "harness"]

    def run(cmd: list[str]) -> float:
        t = time.time()
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, env=env, cwd=REPO_ROOT)
        return time.time() - t

    run(py + ["prepare", "--config", str(cfg_path)])
    times = {}
    for label, launcher in (("one", py), ("multi", [sys.executable, "-m", "torch.distributed.run",
                                                    f"--nproc-per-node={gpus}", "-m", "harness"])):
        over = ["--set", f"results_dir={work / label}"]
        times[label] = sum(run(launcher + [step, "--config", str(cfg_path)] + over)
                           for step in ("detect", "ablate"))
    one, multi = unit_files(work / "one" / "synth"), unit_files(work / "multi" / "synth")
    same, diff = compare_unit_files(one, multi)
    report = {"gpus": gpus, "unit_files": len(one), "equal": same, "differing": diff, "seconds": times}
    print(json.dumps(report, indent=1))
    atomic_write_json(work / "dp_check.json", report, indent=1)
    return 0 if same else 1
