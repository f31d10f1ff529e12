"""The forms a forgetting report takes: a terminal table, report.json, report.md, a PNG figure
and the compact summary that benchmark results are kept as.

Only test images appear in figures; forget *training* images enter the report as
one number (the membership AUC), never as pictures or file names.
"""
import json
import os
from collections import OrderedDict
from os import path as osp

from ..utils import ExistingFileError
from ..utils.files import atomic_write, write_json_atomic
from .acceptance import missed
from .relearn_audit import budget_words, describe_steps
from .report_figure import relearn_figure, report_figure
from .unlearning_report import GENERATOR

REPORT_FILES = ('report.json', 'report.md', 'report.png', 'relearn.png')


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
    if 'relearn' in report.get('audits', {}):
        lines += [''] + relearn_lines(report['audits']['relearn'])
    return '\n'.join(lines) + '\n'


def relearn_lines(audit):
    """The relearning audit's section of report.md (docs/Evaluation.md says how to read it)."""
    budget = audit['budget']
    lines = ['## Relearning audit (relearn.png)', '',
             f"Each model fine-tuned on {budget_words(audit)} ({budget['crop']} px crops, batch "
             f"{budget['batch']}, Adam lr {budget['lr']:g}, seed {budget['seed']}) for {budget['steps']} steps; "
             f"steps until the forgotten tasks' {audit['split']} PSNR regains {audit['regain_fraction']:.0%} of the "
             f"original's gain over the input ({audit['input_psnr']:.2f} -> {audit['original_psnr']:.2f} dB: "
             f"target {audit['target_psnr']:.2f} dB).", '']
    if audit['original_psnr'] - audit['input_psnr'] < 1.0:
        lines += [f"The original gains only {audit['original_psnr'] - audit['input_psnr']:.2f} dB over the input on "
                  'the forgotten tasks: there is little to relearn, and these steps measure little.', '']
    lines += ['| model | PSNR at step 0 | at the last step | steps to the target |', '|---|---|---|---|']
    for label, entry in audit['models'].items():
        reached = describe_steps(label, entry['steps_to_regain'], budget['steps'])
        lines.append(f"| {label} | {entry['curve'][0][1]:.2f} | {entry['curve'][-1][1]:.2f} | {reached} |")
    return lines


def count_met(checks):
    """'k of n' and what missed, for one model's check rows."""
    misses = '; '.join(missed(checks))
    return f"{sum(c['met'] for c in checks)} of {len(checks)}" + (f'; missed: {misses}' if misses else '')


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
    """report.json, report.md and report.png (report_figure.py),
    each written whole; report files in ``out_dir`` that we did not write are never replaced."""
    check_report_folder(out_dir)
    write_json_atomic(report, osp.join(out_dir, 'report.json'))
    atomic_write(osp.join(out_dir, 'report.md'), lambda f: f.write(markdown(report)))
    png = report_figure(report, networks, examples)
    atomic_write(osp.join(out_dir, 'report.png'), lambda f: f.write(png), mode='wb')
    relearn_png = osp.join(out_dir, 'relearn.png')
    if 'relearn' in report.get('audits', {}):
        curves = relearn_figure(report['audits']['relearn'])
        atomic_write(relearn_png, lambda f: f.write(curves), mode='wb')
    elif osp.isfile(relearn_png):  # an earlier report's audit, not this one's
        os.remove(relearn_png)
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
