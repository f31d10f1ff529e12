"""One learning rate past the chosen end of each method's sweep, scored on val only.

A two-value sweep (options/unlearn/methods.yml `lrs`) always picks one of its ends. If
the rate one step further scores a lower val Avg. Gap, the sweep sits in the wrong place
for that method and the comparison is unfair to it. Unlike `basicsr-unlearn benchmark
--lrs`, this never evaluates on test and evaluates the reference models once per task.

    python benchmarks/check_lr_ends.py --task haze ours=2e-3 scrub=2e-3 neggrad=1e-4 \
        --against benchmark_runs/forget_haze/val_sweep.json

``--against`` (a benchmark's val_sweep.json) prints the best val Avg. Gap of the sweep
beside each new rate. Run from a folder holding (or getting) datasets/mini_allinone.
"""
import argparse
import json
import os.path as osp

from basicsr_unlearn.evaluation.benchmark_runner import Runner
from basicsr_unlearn.unlearning_runs import methods


def best_in_sweep(rows, method):
    rows = [r for r in rows if r['method'] == method]
    return min(rows, key=lambda r: r['val_avg_gap']) if rows else None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--task', required=True, choices=['rain', 'haze', 'noise'])
    parser.add_argument('checks', nargs='+', metavar='METHOD=LR', help='a method of methods.yml and a rate')
    parser.add_argument('--against', help="a benchmark's val_sweep.json to compare with")
    parser.add_argument('--data', default='datasets/mini_allinone')
    parser.add_argument('--out', default='lr_end_runs')
    args = parser.parse_args()
    catalogue, checks = methods(), []
    for item in args.checks:
        method, _, lr = item.partition('=')
        try:
            checks.append((method, float(lr)))
        except ValueError:
            method = None
        if method not in catalogue:
            parser.error(f'{item!r}: expected METHOD=LR, METHOD one of {list(catalogue)} and LR a number.')
    swept = []
    if args.against:
        if not osp.isfile(args.against):
            parser.error(f"--against {args.against}: no such file (expected a benchmark's val_sweep.json).")
        with open(args.against, encoding='utf-8') as f:
            swept = json.load(f)
    runner = Runner(args.task, args.data, osp.join(args.out, f'forget_{args.task}'))
    for method, lr in checks:
        row = runner.run(f'{method}_lr{lr:g}', method, lr)[0]
        runner.save_rows('lr_ends.json')
        best = best_in_sweep(swept, method)
        if best is not None:
            verdict = 'lower: the sweep should move' if row['val_avg_gap'] < best['val_avg_gap'] else 'higher: sweep ok'
            print(f"    {method}: lr {lr:g} scores {row['val_avg_gap']:.3f}, the sweep's choice "
                  f"(lr {best['lr']:g}) {best['val_avg_gap']:.3f}: {verdict}", flush=True)


if __name__ == '__main__':
    main()
