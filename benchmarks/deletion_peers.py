"""Deletion requests: our method and its peers under the same budget, each tuned on val, over seeds.

Every method deletes the request's images (``options/unlearn/PromptIR/delete_<request>_promptir_tiny.yml`` with the
method's block of ``basicsr_unlearn/runs/methods.yml``: same data, steps and batch) once per seed
for each of its variants: its learning rates (methods.yml ``lrs`` times ``DELETION_LR_FACTOR``)
and, for ours, also the network the bound's reference is measured on (``reference_network``:
the frozen original or the network being unlearned). Each run is scored on **val** by the Avg. Gap of deletion
(``deletion_report.deletion_gaps``: the deleted images' PSNR, every task's val PSNR and the
deleted-vs-val AUC, each against the retrained model); per method the variant with the lowest
mean over the seeds is kept, and only its runs are judged on the **test** split, with the
original and the shipped model retrained without the images (``evaluation/deletion_report.py``).

    python benchmarks/deletion_peers.py --request rain20 --seeds 0 1 2 --out runs/deletion \
        --results benchmarks/results/deletion_rain20.json

Run it from the folder holding the mini benchmark (``datasets/mini_allinone``).
"""
import argparse
import re
from collections import OrderedDict
from os import path as osp
from statistics import fmean

from basicsr_unlearn.evaluation.report_writer import check_report_folder
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.runs.benchmark import spread_of
from basicsr_unlearn.runs.compose import methods
from basicsr_unlearn.runs.deletion import (DeletionScorer, deletion_request, judge_deletion, print_deletion,
                                           unlearn_deletion)
from basicsr_unlearn.runs.references import cost_entry, reference_models
from basicsr_unlearn.tasks import MINI_ROOT
from basicsr_unlearn.utils import UserError
from basicsr_unlearn.utils.files import machine, write_json_atomic

# Deleting 20 images is a smaller change than forgetting a task: every method runs at its task rates
# (methods.yml) halved. Why: a one-seed probe of ours at 2.5e-4 / 5e-4 / 1e-3 (val Avg. Gap of deletion
# 0.19 / 0.35 / higher; docs/Deletion.md) put the best rate below the task's grid.
DELETION_LR_FACTOR = 0.5
REFERENCE_NETWORK = 'train:forget_opt:reference_network'
OURS_REFERENCES = ('original', 'current')  # the question of the bound: a fixed target or one that moves


def variants_of(method, lrs):
    """{label: (lr, overrides)} a method is tuned over."""
    if method != 'ours':
        return OrderedDict((f'lr {lr:g}', (lr, {})) for lr in lrs)
    return OrderedDict((f'lr {lr:g}, reference {network}', (lr, {REFERENCE_NETWORK: network}))
                       for network in OURS_REFERENCES for lr in lrs)


def method_statistics(report, runs_of, chosen):
    """Per method: its chosen variant, then mean and spread over its seeds of each headline
    number on test, and on how many seeds each target was met."""
    stats = OrderedDict()
    for method, labels in runs_of.items():
        models = [report['models'][label] for label in labels]
        checks = [report['checks'][label] for label in labels]
        original = report['models']['original']['task_psnr']
        stats[method] = OrderedDict(
            runs=labels, variant=chosen[method]['label'], lr=report['cost'][labels[0]]['lr'],
            overrides=chosen[method]['overrides'], val_avg_gap=chosen[method]['val_avg_gap'],
            deleted_psnr=spread_of(m['groups']['deleted']['psnr'] for m in models),
            deleted_gain=spread_of(m['groups']['deleted']['gain'] for m in models),
            unseen_gain=spread_of(m['groups']['unseen']['gain'] for m in models),
            deleted_auc=spread_of(m['membership']['deleted_vs_unseen']['auc'] for m in models),
            retained_auc=spread_of(m['membership']['retained_vs_unseen']['auc'] for m in models),
            test_change={t: spread_of(m['task_psnr'][t] - original[t] for m in models) for t in original},
            worst_test_change=spread_of(min(m['task_psnr'][t] - original[t] for t in original) for m in models),
            time_fraction=spread_of(report['cost'][label]['time_fraction'] for label in labels),
            targets_met=OrderedDict((key, sum(all(c['met'] for c in run if c['target_key'] == key) for run in checks))
                                    for key in dict.fromkeys(c['target_key'] for c in checks[0])))
    return stats


def reference_rows(report):
    """The original's and the retrained model's headline numbers on test."""
    rows = OrderedDict()
    for label in ('original', 'retrained'):
        model = report['models'][label]
        rows[label] = OrderedDict(
            deleted_psnr=model['groups']['deleted']['psnr'], deleted_gain=model['groups']['deleted']['gain'],
            unseen_gain=model['groups']['unseen']['gain'], deleted_auc=model['membership']['deleted_vs_unseen']['auc'],
            deleted_auc_interval=model['membership']['deleted_vs_unseen']['interval'],
            retained_auc=model['membership']['retained_vs_unseen']['auc'], task_psnr=model['task_psnr'])
    return rows


def tune_on_val(scorer, request, method, variants, seeds, data, work, steps, benchmark):
    """Every variant of ``method`` once per seed, scored on val; returns (the rows of all runs,
    the kept variant: lowest mean val Avg. Gap of deletion, with its runs)."""
    rows, by_variant = [], OrderedDict()
    for label, (lr, overrides) in variants.items():
        for seed in seeds:
            name = re.sub(r'[^\w.=-]+', '_', f'delete_{request}_{method}_{label}_seed{seed}')
            run = unlearn_deletion(request, method, data, work, lr, steps, seed, benchmark, overrides, name=name)
            gap = scorer.score(run['weights'])
            row = OrderedDict(method=method, variant=label, lr=run['lr'], overrides=overrides, seed=seed,
                              val_avg_gap=gap['avg_gap'], val_gaps=gap['gaps'],
                              wall_time_s=round(run['wall_time_s'], 1), weights=run['weights'])
            rows.append(row)
            by_variant.setdefault(label, []).append((row, run))
            print(f"  {method} {label} seed {seed}: val Avg. Gap {gap['avg_gap']:.3f} "
                  f"(deleted {gap['gaps']['deleted']:.2f} dB; {run['wall_time_s']:.0f} s)", flush=True)
    label = min(by_variant, key=lambda v: fmean(row['val_avg_gap'] for row, _ in by_variant[v]))
    runs = by_variant[label]
    kept = OrderedDict(label=label, overrides=variants[label][1],
                       val_avg_gap=spread_of(row['val_avg_gap'] for row, _ in runs))
    return rows, kept, runs


def variant_summary(rows):
    """Per method and variant: mean and spread over seeds of the val Avg. Gap of deletion."""
    out = OrderedDict()
    for row in rows:
        out.setdefault(row['method'], OrderedDict()).setdefault(row['variant'], []).append(row['val_avg_gap'])
    return OrderedDict((method, OrderedDict((label, spread_of(values)) for label, values in variants.items()))
                       for method, variants in out.items())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--request', default='rain20')
    parser.add_argument('--methods', nargs='+', help='default: every method of basicsr_unlearn/runs/methods.yml')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--lrs', nargs='+', type=float, help="replaces every method's rates")
    parser.add_argument('--steps', type=int, help="the option file's budget unless given")
    parser.add_argument('--data', default=MINI_ROOT)
    parser.add_argument('--out', default='deletion_runs')
    parser.add_argument('--results', help='where the summary json goes (default: <out>/delete_<request>/summary.json)')
    args = parser.parse_args(argv)
    task, names = deletion_request(args.request)
    catalogue = methods()
    method_names = args.methods or list(catalogue)
    unknown = [m for m in method_names if m not in catalogue]
    if unknown:
        raise UserError(f'--methods: {unknown} not in basicsr_unlearn/runs/methods.yml ({list(catalogue)}).')
    benchmark = open_benchmark(args.data)['name']
    report_dir = osp.join(args.out, f'delete_{args.request}')
    check_report_folder(report_dir)
    scorer = DeletionScorer(args.request, args.data, benchmark)
    print(f"original (no unlearning): val Avg. Gap {scorer.untouched['avg_gap']:.3f}", flush=True)
    weights, costs, runs_of, chosen, val_rows = reference_models(args.request, benchmark), {}, {}, {}, []
    for method in method_names:
        variants = variants_of(method, args.lrs or [DELETION_LR_FACTOR * lr for lr in catalogue[method]['lrs']])
        rows, chosen[method], runs = tune_on_val(scorer, args.request, method, variants, args.seeds, args.data,
                                                 osp.join(args.out, 'work'), args.steps, benchmark)
        val_rows += rows
        write_json_atomic(val_rows, osp.join(report_dir, 'val_runs.json'))
        runs_of[method] = []
        for row, run in runs:
            label = f"{method} s{row['seed']}"
            runs_of[method].append(label)
            weights[label] = run['weights']
            costs[label] = dict(cost_entry(run, args.request, benchmark), lr=run['lr'])
        print(f"{method}: kept {chosen[method]['label']} (val Avg. Gap {chosen[method]['val_avg_gap']['mean']:.3f})",
              flush=True)
    report = judge_deletion(weights, args.request, args.data, benchmark, costs,
                            title=f'delete {args.request}: all methods, same budget, tuned on val, seeds {args.seeds}')
    write_json_atomic(report, osp.join(report_dir, 'report.json'))
    print_deletion(report)
    command = (f'python benchmarks/deletion_peers.py --request {args.request} --methods {" ".join(method_names)} '
               f'--seeds {" ".join(map(str, args.seeds))}' + (f' --steps {args.steps}' if args.steps else '')
               + (f' --lrs {" ".join(f"{lr:g}" for lr in args.lrs)}' if args.lrs else ''))
    summary = OrderedDict(
        request=args.request, task=task, deleted=len(names), command=command, machine=machine(), seeds=args.seeds,
        val_untouched=scorer.untouched['avg_gap'], val_variants=variant_summary(val_rows),
        references=reference_rows(report), methods=method_statistics(report, runs_of, chosen))
    write_json_atomic(summary, args.results or osp.join(report_dir, 'summary.json'))


if __name__ == '__main__':
    main()
