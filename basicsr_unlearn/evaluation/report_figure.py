"""report.png: per-task PSNR bars of every model, and, when the networks are at hand, one
restored test example per task, so that "the original removes rain, the unlearned model
leaves it" is seen, not only read.

Drawn with matplotlib's object interface (no pyplot, no global state, no display needed).
Only test images appear; forget training images never do.
"""
import io
import textwrap

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from .relearn_audit import budget_words
from .restoration_metrics import restore

TILE_INCHES = 1.5


def _bar_axes(ax, report):
    """Grouped bars (task on x, one bar per model) with their values, and the degraded input as
    a black line across each group."""
    tasks, labels = report['tasks'], list(report['models'])
    width = 0.8 / len(labels)
    x = np.arange(len(tasks))
    values = [report['models'][m]['tasks'][t]['psnr'] for m in labels for t in tasks]
    low = min(values + [report['input_psnr'][t] for t in tasks]) - 2
    for i, label in enumerate(labels):
        psnr = [report['models'][label]['tasks'][t]['psnr'] for t in tasks]
        bars = ax.bar(x - 0.4 + (i + 0.5) * width, [v - low for v in psnr], width, bottom=low, label=label)
        ax.bar_label(bars, labels=[f'{v:.1f}' for v in psnr], fontsize=6, padding=1)
    for xi, task in zip(x, tasks):
        ax.hlines(report['input_psnr'][task], xi - 0.42, xi + 0.42, colors='black', linewidth=1.2,
                  label='degraded input' if xi == 0 else None)
    ax.set_xticks(x, tasks)
    ax.set_ylim(low, max(values) + 1.5)
    ax.set_ylabel('test PSNR (dB)')
    ax.set_title(f"forgetting {report['forget']}: {report['title']}", fontsize=9)
    ax.legend(fontsize=7, ncol=min(4, len(labels) + 1), loc='upper center', bbox_to_anchor=(0.5, -0.1))
    ax.grid(axis='y', alpha=0.3)


def _image(ax, bgr, title=None):
    ax.imshow(np.clip(bgr[..., ::-1], 0, 1), interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(textwrap.fill(title, 16), fontsize=7)


def report_figure(report, networks=None, examples=None):
    """PNG bytes of the report's figure; ``examples`` maps a task to its test source (the first pair
    of each is restored by every network)."""
    rows = len(examples) if networks and examples else 0
    columns = max(len(networks) + 2 if rows else 0, 6)
    fig = Figure(figsize=(columns * TILE_INCHES, 3.2 + rows * TILE_INCHES * 1.1), layout='constrained')
    grid = fig.add_gridspec(1 + rows, columns, height_ratios=[2.2] + [1] * rows)
    _bar_axes(fig.add_subplot(grid[0, :]), report)
    for r, (task, source) in enumerate(examples.items() if rows else []):
        img_lq, img_gt, _, _ = source.read(0)
        restored = [restore(net, img_lq, next(net.parameters()).device).clamp(0, 1).permute(1, 2, 0).numpy()[..., ::-1]
                    for net in networks.values()]
        cells = [(f'{task} input', img_lq)] + list(zip(networks, restored)) + [('ground truth', img_gt)]
        for c, (title, img) in enumerate(cells):
            _image(fig.add_subplot(grid[1 + r, c]), img, title if r == 0 or c == 0 else None)
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=100)
    return buffer.getvalue()


def relearn_figure(audit):
    """PNG bytes of the relearning audit: the forgotten tasks' val PSNR against fine-tuning steps,
    one line per model, with the degraded input and the regain target across."""
    fig = Figure(figsize=(7.5, 3.6), layout='constrained')
    ax = fig.add_subplot()
    ax.set_prop_cycle(color=colormaps['tab20'].colors)  # a colour a model, for up to 20 of them
    for label, entry in audit['models'].items():
        steps, psnr = zip(*entry['curve'])
        ax.plot(steps, psnr, marker='o', markersize=3, label=label)
    ax.axhline(audit['input_psnr'], color='black', linewidth=1, label='degraded input')
    ax.axhline(audit['target_psnr'], color='grey', linestyle='--', linewidth=1,
               label=f"{audit['regain_fraction']:.0%} of the original's gain")
    budget = audit['budget']
    ax.set_xlabel(f"fine-tuning step ({budget_words(audit)}, lr {budget['lr']:g}, seed {budget['seed']})")
    ax.set_ylabel(f"{'/'.join(audit['forget_tasks'])} {audit['split']} PSNR (dB)")
    ax.set_title('relearning audit: how fast does the forgotten task come back?', fontsize=9)
    ax.legend(fontsize=7, loc='center left', bbox_to_anchor=(1.01, 0.5))
    ax.grid(alpha=0.3)
    buffer = io.BytesIO()
    fig.savefig(buffer, format='png', dpi=110)
    return buffer.getvalue()
