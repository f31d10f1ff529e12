"""The forms a forgetting report takes: a terminal table, report.json, report.md, a PNG figure
and the compact summary that benchmark results are kept as.

Only test images appear in figures; forget *training* images enter the report as
one number (the membership AUC), never as pictures or file names.
"""
import json
from collections import OrderedDict
from os import path as osp

import cv2
import numpy as np

from ..utils import ExistingFileError
from ..utils.files import atomic_write, write_json_atomic
from .acceptance import missed
from .restoration_metrics import restore
from .unlearning_report import GENERATOR

REPORT_FILES = ('report.json', 'report.md', 'report.png')


def table_rows(report):
    """Rows of (model, per-task PSNR/SSIM, MIA AUC, Avg. Gap, cost) for the table and markdown."""
    tasks = report['tasks']
    header = ['model'] + [f'{t} PSNR/SSIM' for t in tasks] + ['MIA AUC', 'Avg. Gap', 'time (% retrain)']
    rows = []
    for label, result in report['models'].items():
        cost = report.get('cost', {}).get(label)
        rows.append([label] + [f"{result['tasks'][t]['psnr']:.2f}/{result['tasks'][t]['ssim']:.3f}" for t in tasks]
                    + [f"{result['membership']['auc']:.3f}",
                       f"{report['gaps'][label]['avg_gap']:.2f}" if label in report['gaps'] else '-',
                       f"{100 * cost['time_fraction']:.1f}%" if cost and cost.get('time_fraction') is not None
                       else '-'])
    return header, rows


def format_table(report):
    header, rows = table_rows(report)
    degraded = ['degraded input'] + [f"{report['input_psnr'][t]:.2f}/-" for t in report['tasks']]
    degraded += [''] * (len(header) - len(degraded))
    widths = [max(len(str(r[i])) for r in [header, degraded] + rows) for i in range(len(header))]

    def line(cells):
        return '  '.join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()
    return '\n'.join([line(header), line(['-' * w for w in widths])] + [line(r) for r in rows] + [line(degraded)])


def markdown(report):
    header, rows = table_rows(report)
    lines = [f"# Forgetting `{report['forget']}`: {report['title']}", '',
             f"Test split of `{report['data_root']}`; PSNR (dB) / SSIM on RGB, crop border {report['crop_border']}, "
             'BasicSR metrics. MIA AUC: loss-based membership attack on the forget training images '
             '(0.5 = cannot tell). Avg. Gap: mean |difference| to the retrained model over all PSNR (dB), '
             'SSIM (%) and AUC (%) numbers; lower is better (none without a retrained model).', '',
             '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    lines += ['| ' + ' | '.join(r) + ' |' for r in rows]
    lines += ['| degraded input | ' + ' | '.join(f"{report['input_psnr'][t]:.2f}" for t in report['tasks'])
              + ' | | | |',
              '']
    for label, gap in report['gaps'].items():
        if label in ('original', 'retrained'):
            continue
        forget = ', '.join(f'{t} {v:.2f} dB' for t, v in gap['forget_gap'].items())
        retain = ', '.join(f'{t} {v:+.2f} dB' for t, v in gap['retain_change'].items())
        lines.append(f'- **{label}**: forget gap {forget}; retain change {retain}; MIA gap {gap["mia_gap"]:.3f}')
    for label, cost in report.get('cost', {}).items():
        if cost.get('time_fraction') is not None:
            lines.append(f"- cost of **{label}**: {cost['wall_time_s']:.1f} s, {cost['steps']} steps = "
                         f"{100 * cost['time_fraction']:.1f}% of the retrained model's {cost['retrain_time_s']:.0f} s")
    for label, checks in report.get('checks', {}).items():
        lines.append(f'- targets met by **{label}** (against the retrained model): {count_met(checks)}')
    for label, checks in report.get('reference_free', {}).items():
        lines.append(f'- reference-free checks met by **{label}** (no retrained model needed): {count_met(checks)}')
    return '\n'.join(lines) + '\n'


def count_met(checks):
    """'k of n' and what missed, for one model's check rows."""
    misses = '; '.join(missed(checks))
    return f"{sum(c['met'] for c in checks)} of {len(checks)}" + (f'; missed: {misses}' if misses else '')


def _bars(report, width=900, height=320):
    """Per-task PSNR bars of every model, drawn with OpenCV (no plotting library needed)."""
    tasks, labels = report['tasks'], list(report['models'])
    colours = [(160, 160, 160), (60, 160, 60), (200, 120, 40), (40, 40, 200), (160, 60, 160), (40, 160, 200),
               (120, 120, 40), (80, 80, 80)]
    canvas = np.full((height, width, 3), 255, np.uint8)
    values = [report['models'][m]['tasks'][t]['psnr'] for m in labels for t in tasks]
    low, high = min(values + [report['input_psnr'][t] for t in tasks]) - 2, max(values) + 1
    group = (width - 60) / len(tasks)
    bar = group * 0.8 / len(labels)
    for ti, task in enumerate(tasks):
        x0 = 50 + ti * group
        cv2.putText(canvas, task, (int(x0), height - 8), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 1)
        for mi, label in enumerate(labels):
            v = report['models'][label]['tasks'][task]['psnr']
            top = int(height - 30 - (v - low) / (high - low) * (height - 70))
            x = int(x0 + mi * bar)
            cv2.rectangle(canvas, (x, top), (int(x + bar) - 2, height - 30), colours[mi % len(colours)], -1)
        y_in = int(height - 30 - (report['input_psnr'][task] - low) / (high - low) * (height - 70))
        cv2.line(canvas, (int(x0), y_in), (int(x0 + group * 0.8), y_in), (0, 0, 0), 1)
    x, y = 60, 8  # legend: each label at its own width, so long ones ("unlearned (neggrad_plus)") stay whole
    for mi, label in enumerate(labels):
        text_width = _text_width(label)
        if x + 16 + text_width > width - 10:
            x, y = 60, y + 16
        cv2.rectangle(canvas, (x, y), (x + 12, y + 12), colours[mi % len(colours)], -1)
        cv2.putText(canvas, label, (x + 16, y + 11), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
        x += 16 + text_width + 24
    cv2.putText(canvas, f'PSNR (dB), {low:.0f}-{high:.0f}; line: degraded input', (10, y + 32),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    return canvas


def _grid(report, networks, examples, tile=128):
    """Rows: one test example per task; columns: degraded input, each model, ground truth."""
    rows = []
    for task, source in examples.items():
        img_lq, img_gt, _, _ = source.read(0)
        cells = [img_lq] + [restore(net, img_lq, 'cpu').clamp(0, 1).permute(1, 2, 0).numpy()[..., ::-1]
                            for net in networks.values()] + [img_gt]
        cells = [cv2.resize((np.clip(c, 0, 1) * 255).round().astype(np.uint8), (tile, tile),
                            interpolation=cv2.INTER_NEAREST) for c in cells]
        cv2.putText(cells[0], task, (3, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1)
        rows.append(np.concatenate(cells, 1))
    headings = [_wrap(name, tile - 6) for name in ['input'] + list(networks) + ['ground truth']]
    head = np.full((6 + 14 * max(map(len, headings)), rows[0].shape[1], 3), 255, np.uint8)
    for i, lines in enumerate(headings):
        for j, line in enumerate(lines):
            cv2.putText(head, line, (i * tile + 3, 14 + 14 * j), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    return np.concatenate([head] + rows, 0)


def _text_width(text, scale=0.4):
    """Pixel width of ``text`` as the figure's labels draw it."""
    return cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0]


def _wrap(text, width):
    """Lines of ``text`` no wider than ``width`` pixels, broken at spaces (a word too wide
    alone is cut), so a column heading like "unlearned (neggrad_plus)" stays readable."""
    def fits(line):
        return _text_width(line) <= width

    lines = []
    for word in text.split():
        if lines and fits(f'{lines[-1]} {word}'):
            lines[-1] = f'{lines[-1]} {word}'
            continue
        while not fits(word) and len(word) > 1:
            word = word[:-1]
        lines.append(word)
    return lines or ['']


def check_report_folder(out_dir):
    """Refuse a folder holding report files that we did not write (a report.json without our mark)."""
    present = [name for name in REPORT_FILES if osp.exists(osp.join(out_dir, name))]
    if not present:
        return
    try:
        with open(osp.join(out_dir, 'report.json'), encoding='utf-8') as f:
            ours = json.load(f).get('generator') == GENERATOR
    except (OSError, ValueError, AttributeError):
        ours = False
    if not ours:
        raise ExistingFileError(f'{out_dir} holds {present}, not written by basicsr_unlearn; not overwriting them '
                                '(choose another --out).')


def write_report(report, out_dir, networks=None, examples=None):
    """report.json, report.md and report.png (bars; plus an image grid when networks are given),
    each written whole; report files in ``out_dir`` that we did not write are never replaced."""
    check_report_folder(out_dir)
    write_json_atomic(report, osp.join(out_dir, 'report.json'))
    atomic_write(osp.join(out_dir, 'report.md'), lambda f: f.write(markdown(report)))
    figure = _bars(report)
    if networks and examples:
        grid = _grid(report, networks, examples)
        pad = np.full((grid.shape[0], max(0, figure.shape[1] - grid.shape[1]), 3), 255, np.uint8)
        grid = np.concatenate([grid, pad], 1)[:, :max(figure.shape[1], grid.shape[1])]
        figure = np.concatenate([np.pad(figure, ((0, 0), (0, grid.shape[1] - figure.shape[1]), (0, 0)),
                                        constant_values=255), grid], 0)
    atomic_write(osp.join(out_dir, 'report.png'), lambda f: f.write(cv2.imencode('.png', figure)[1].tobytes()),
                 mode='wb')
    return osp.join(out_dir, 'report.md')


def summary_of(report, command=None):
    """The compact form of a report that ``benchmarks/results/`` keeps and the docs' tables are made from."""
    costs = report.get('cost', {})
    models = OrderedDict()
    for label, result in report['models'].items():
        cost = costs.get(label) or {}
        models[label] = OrderedDict(
            psnr={t: round(result['tasks'][t]['psnr'], 4) for t in report['tasks']},
            ssim={t: round(result['tasks'][t]['ssim'], 5) for t in report['tasks']},
            mia_auc=round(result['membership']['auc'], 4),
            avg_gap=round(report['gaps'][label]['avg_gap'], 4) if label in report['gaps'] else None,
            time_fraction=None if cost.get('time_fraction') is None else round(cost['time_fraction'], 4),
            lr=cost.get('lr'))
    return OrderedDict(task=report['forget'], title=report['title'], command=command, split=report['split'],
                       tasks=list(report['tasks']),
                       input_psnr={t: round(v, 4) for t, v in report['input_psnr'].items()},
                       models=models, checks=report.get('checks', {}),
                       reference_free=report.get('reference_free', {}))
