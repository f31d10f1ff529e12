"""Plot what each method trades: forget gap against worst retained change over its learning-rate
sweep on val, from the ``val_sweep`` that ``benchmark`` stores with its results, one panel per
forgotten task, the rate the benchmark chose marked. A single point per method hides whether
another rate would have forgotten more at a smaller cost; the curve shows it.

    python tools/plot_tradeoff.py   # benchmarks/results/forget_*.json -> docs/images/tradeoff.png
"""
import argparse
import glob
import json
import sys
from collections import OrderedDict
from os import path as osp
from statistics import fmean

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_RESULTS = osp.join(REPO, 'benchmarks', 'results', 'forget_*.json')
DEFAULT_PNG = osp.join(REPO, 'docs', 'images', 'tradeoff.png')


def sweep_points(results):
    """{method: [(lr, mean forget gap, mean worst retain change)]} by rate, each averaged over seeds."""
    runs = OrderedDict()
    for row in results['val_sweep']:
        forget = fmean(row['val_forget_gap'].values())
        worst = min(row['val_retain_change'].values())
        runs.setdefault(row['method'], OrderedDict()).setdefault(row['lr'], []).append((forget, worst))
    return OrderedDict((method, [(lr, fmean(f for f, _ in seeds), fmean(w for _, w in seeds))
                                 for lr, seeds in sorted(by_lr.items())]) for method, by_lr in runs.items())


def plot(all_results, out):
    fig, axes = plt.subplots(1, len(all_results), figsize=(max(6.5, 4.6 * len(all_results)), 4.6), squeeze=False,
                             constrained_layout=True)
    for ax, results in zip(axes[0], all_results):
        for method, points in sweep_points(results).items():
            lrs, forget, worst = zip(*points)
            line, = ax.plot(forget, worst, marker='o', markersize=4, label=method)
            for lr, x, y in points:
                ax.annotate(f'{lr:g}', (x, y), fontsize=6, xytext=(3, 3), textcoords='offset points')
            chosen = results['chosen_lr'].get(method)
            if chosen in lrs:
                i = lrs.index(chosen)
                ax.plot(forget[i], worst[i], marker='*', markersize=13, color=line.get_color(),
                        markeredgecolor='black')
        ax.axvline(0.5, color='grey', linestyle=':', linewidth=1)
        ax.axhline(-0.2, color='grey', linestyle=':', linewidth=1)
        ax.set_title(f"forgetting {results['task']} ({results.get('benchmark', 'mini_allinone')}, val)", fontsize=9)
        ax.set_xlabel('forget gap to the retrained model (dB, lower is better)')
        ax.set_ylabel('worst retained change (dB, higher is better)')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("each method's learning-rate sweep on val (★ the rate chosen; dotted: the targets)", fontsize=9)
    fig.savefig(out, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--results', default=DEFAULT_RESULTS, help='glob of results files (default: %(default)s)')
    parser.add_argument('--out', default=DEFAULT_PNG)
    args = parser.parse_args()
    found = [json.load(open(path)) for path in sorted(glob.glob(args.results))]
    with_sweeps = [r for r in found if r.get('val_sweep')]
    if not with_sweeps:
        raise SystemExit(f'no results file under {args.results} holds a val_sweep (run basicsr-unlearn benchmark)')
    plot(with_sweeps, args.out)
    print(f"wrote {args.out} ({', '.join(r['task'] for r in with_sweeps)})")
    return 0


if __name__ == '__main__':
    sys.exit(main())
