"""Plot benchmarks/results/real_mini/learning_curves.json: val PSNR of each task against iterations.

One panel per task, one line per curve that trained on the task, the degraded input as a dashed
line, so that where a task flattens, and whether it ever beats its input, is read off the figure.

    python tools/plot_learning_curves.py   # writes docs/images/real_mini_learning_curves.png
"""
import argparse
import json
import sys
from os import path as osp

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_JSON = osp.join(REPO, 'benchmarks', 'results', 'real_mini', 'learning_curves.json')
DEFAULT_PNG = osp.join(REPO, 'docs', 'images', 'real_mini_learning_curves.png')


def plot(results, out):
    curves = results['curves']
    tasks = list(next(iter(curves.values()))['input'])
    fig, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 3.2), constrained_layout=True)
    for ax, task in zip(axes, tasks):
        for label, curve in curves.items():
            if task not in curve.get('trained_tasks', tasks):
                ax.plot([], [], marker='o', markersize=3, label=label)  # its colour and legend entry stay
                continue
            iters = [p['iter'] for p in curve['points']]
            ax.plot(iters, [p['val'][task] for p in curve['points']], marker='o', markersize=3, label=label)
        ax.axhline(next(iter(curves.values()))['input'][task], color='grey', linestyle='--', label='degraded input')
        ax.set_title(task)
        ax.set_xlabel('iteration')
        ax.grid(alpha=0.3)
    axes[0].set_ylabel('val PSNR (dB)')
    axes[-1].legend(fontsize=7, loc='lower right')
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--json', default=DEFAULT_JSON)
    parser.add_argument('--out', default=DEFAULT_PNG)
    args = parser.parse_args()
    with open(args.json, encoding='utf-8') as f:
        plot(json.load(f), args.out)
    print(f'wrote {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
