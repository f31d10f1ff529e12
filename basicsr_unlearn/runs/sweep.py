"""Tuning rounds: variants of a method's options scored on the val split, over seeds.

A round is a spec file (``benchmarks/rounds/roundNN.yml``: the question, the decision and
its sweeps) and a summary that ``run_round`` writes (``roundNN.json``); the docs' tables
are generated from the summaries (``tools/generate_docs_tables.py``), never retyped.
"""
import json
from collections import OrderedDict
from os import path as osp
from statistics import fmean

from ..prepare.benchmark_root import open_benchmark
from ..tasks import MINI_ROOT, TASK_GROUPS
from ..utils import ExistingFileError, UserError
from ..utils.files import machine, write_json_atomic
from ..utils.options import load_option_file
from .benchmark import Runner, describe_val_gaps
from .compose import check_method, compose_option

SPEC_KEYS = ('round', 'title', 'why', 'decided', 'decision', 'files_of', 'sweeps')
SWEEP_KEYS = ('task', 'method', 'seeds', 'set', 'variants')


def run_sweep(task, variants, data_root=MINI_ROOT, out='sweep_runs', seeds=None, method='ours', base=None):
    """``method`` with each variant ({label: {dotted option key: value}} on top of ``base``; the key
    ``lr`` sets the learning rate), scored on val.

    With ``seeds``, every variant runs once per ``manual_seed`` (which also seeds the data:
    crops, flips, retain draws) and is summarised by its mean val Avg. Gap and the spread
    (max - min) over the seeds: on the mini benchmark the spread between seeds of one
    variant is as large as many differences between variants, so one seed cannot choose
    a default. Returns the sweep's summary, variants in the given order.
    """
    base = dict(base or {})
    for overrides in variants.values():  # a misspelt key fails now, not after the runs before it
        merged = dict(base, **overrides)
        merged.pop('lr', None)
        compose_option(task, method, data_root=data_root, overrides=merged)
    runner = Runner(task, data_root, osp.join(out, f'forget_{task}'))
    summaries = []
    for label, overrides in variants.items():
        overrides = dict(base, **overrides)
        lr = overrides.pop('lr', None)
        rows = []
        for seed in seeds or [None]:
            seeded = overrides if seed is None else dict(overrides, manual_seed=int(seed))
            run_label = label if seed is None else f'{label}_seed{seed}'
            rows.append(runner.run(run_label, method, lr, seeded)[0])
            runner.save_rows('sweep.json')
        summaries.append(summarise_seeds(label, variants[label], rows, seeded=bool(seeds)))
    return OrderedDict(task=task, method=method, seeds=list(seeds) if seeds else None, set=base,
                       untouched=runner.untouched, variants=summaries)


def summarise_seeds(label, overrides, rows, seeded=True):
    """Mean and spread (max - min) over the seeds of one variant's runs."""
    gaps_ = [r['val_avg_gap'] for r in rows]
    return OrderedDict(
        label=label, overrides=overrides, runs=len(rows), val_avg_gap=fmean(gaps_),
        val_avg_gap_spread=max(gaps_) - min(gaps_) if seeded else None,
        val_forget_gap={t: fmean(r['val_forget_gap'][t] for r in rows) for t in rows[0]['val_forget_gap']},
        val_retain_change={t: fmean(r['val_retain_change'][t] for r in rows) for t in rows[0]['val_retain_change']},
        val_mia_gap=fmean(r['val_mia_gap'] for r in rows),
        per_seed=[OrderedDict(seed=r['seed'], val_avg_gap=r['val_avg_gap']) for r in rows])


def load_round(path):
    """A round's spec, checked: every key known, every sweep a task, a method and variants."""
    spec = load_option_file(path)
    unknown = sorted(set(spec) - set(SPEC_KEYS))
    if unknown or not isinstance(spec.get('sweeps'), list) or not spec['sweeps']:
        raise UserError(f'{path}: a round spec has the keys {list(SPEC_KEYS)} with a non-empty list of `sweeps`; '
                        f'unknown keys {unknown}.')
    for i, sweep in enumerate(spec['sweeps']):
        where = f'{path}: sweeps[{i}]'
        unknown = sorted(set(sweep) - set(SWEEP_KEYS))
        if unknown:
            raise UserError(f'{where} has unknown keys {unknown}; expected {list(SWEEP_KEYS)}.')
        if sweep.get('task') not in TASK_GROUPS:
            raise UserError(f'{where}.task: expected one of {list(TASK_GROUPS)}, got {sweep.get("task")!r}.')
        check_method(sweep.get('method', 'ours'))
        if not isinstance(sweep.get('variants'), dict) or not sweep['variants']:
            raise UserError(f'{where}.variants: expected a mapping of label -> option overrides.')
        for label, overrides in sweep['variants'].items():
            if not isinstance(overrides, dict):
                raise UserError(f'{where}.variants[{label!r}]: expected a mapping of option keys, got {overrides!r}.')
    return spec


def run_round(spec_path, data_root=MINI_ROOT, out='sweep_runs', summary_path=None):
    """Run every sweep of a round spec and write its summary (JSON); returns (summary, path).

    ``summary_path`` may name an existing summary of the same spec (re-running a round
    replaces it); any other existing file is refused.
    """
    spec = load_round(spec_path)
    stem = osp.splitext(osp.basename(spec_path))[0]
    summary_path = summary_path or osp.join(out, f'{stem}.json')
    if osp.exists(summary_path):
        with open(summary_path, encoding='utf-8') as f:
            try:
                previous = json.load(f)
            except ValueError:
                previous = None
        if not isinstance(previous, dict) or osp.basename(str(previous.get('spec'))) != osp.basename(spec_path):
            raise ExistingFileError(f'{summary_path} exists and is not a summary of {spec_path}; not overwriting it.')
    sweeps = [run_sweep(s['task'], s['variants'], data_root, osp.join(out, stem), s.get('seeds'),
                        s.get('method', 'ours'), s.get('set')) for s in spec['sweeps']]
    summary = OrderedDict((key, spec.get(key)) for key in ('round', 'title', 'why', 'decision'))
    summary.update(spec=spec_path, provenance=f'written by `basicsr-unlearn sweep --round {spec_path}`',
                   benchmark=open_benchmark(data_root)['name'], machine=machine(), sweeps=sweeps)
    write_json_atomic(summary, summary_path)
    return summary, summary_path


def format_sweeps(sweeps):
    """Each sweep's variants, best first: val Avg. Gap, its spread over seeds, and what makes it up."""
    lines = []
    for sweep in sweeps:
        lines.append(f"\n{sweep['task']}, {sweep['method']} (best first):")
        for row in sorted(sweep['variants'], key=lambda r: r['val_avg_gap']):
            spread = '' if row['val_avg_gap_spread'] is None else \
                f"  (seeds {' '.join(map(str, sweep['seeds']))}: spread {row['val_avg_gap_spread']:.3f})"
            lines.append(f"{row['label']:<32} val Avg. Gap {row['val_avg_gap']:.3f}{spread}; {describe_val_gaps(row)}")
    return '\n'.join(lines)
