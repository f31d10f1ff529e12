"""How often the reference-free verdict agrees with the gold standard, per check.

Reads forgetting reports that had a retrained model (``demo``, ``benchmark``, ``evaluate
--retrained``: their report.json) and compares, for every unlearned model in them, each
reference-free check (``evaluation/reference_free.py``) with the gold-standard check it
stands in for. Reports written before the reference-free verdict existed get it here: the
membership scores on the forget task's held-out split are computed from the weights the
report names (the restoration numbers are the report's own). Per run it also records the
retrained model's AUC against that split: the never-saw level the membership check assumes
to be 0.5, measured.

    python benchmarks/reference_free_agreement.py RUNS/forget_*/report.json ... \
        --out benchmarks/results/reference_free_agreement.json

Run it from the folder the reports' relative paths (data root, weights) start from.
"""
import argparse
import json
from collections import OrderedDict
from os import path as osp

import basicsr_unlearn  # noqa: F401
from basicsr_unlearn.utils.options import load_option_file
from basicsr_unlearn.evaluation.membership import membership_scores
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.reference_free import (STANDS_IN_FOR, UNSEEN_SPLIT, agreement_rows,
                                                       reference_free_checks, unseen_membership)
from basicsr_unlearn.evaluation.restoration_metrics import paired_sources
from basicsr_unlearn.prepare.stamped_folder import read_stamp
from basicsr_unlearn.tasks import task_split
from basicsr_unlearn.utils.files import machine, write_json_atomic


def with_reference_free(report, network_opt=None):
    """``report`` with ``reference_free`` and every model's ``membership_unseen`` filled in where
    they are missing (older reports)."""
    unlearned = [label for label in report['models'] if label not in ('original', 'retrained')]
    missing = [label for label in report['models'] if 'membership_unseen' not in report['models'][label]]
    if not missing and all(label in report.get('reference_free', {}) for label in unlearned):
        return report
    forget_tasks, retain_tasks = task_split(report['tasks'], report['forget'])
    members = list(paired_sources(report['data_root'], forget_tasks, 'train').values())
    unseen = list(paired_sources(report['data_root'], forget_tasks, UNSEEN_SPLIT).values())
    for label in missing:
        net = network_from_weights(report['weights'][label], network_opt)[0]
        print(f'  membership scores of {label}...', flush=True)
        report['models'][label]['membership_unseen'] = unseen_membership(membership_scores(net, members),
                                                                         membership_scores(net, unseen))
    report['reference_free'] = OrderedDict(
        (label, reference_free_checks(report['models'][label], report['models']['original'], report['input_psnr'],
                                      forget_tasks, retain_tasks)) for label in unlearned)
    return report


def tally(rows):
    """Per check kind: how many verdicts agree, and the two ways they can disagree."""
    out = OrderedDict()
    for key in list(STANDS_IN_FOR) + ['verdict']:
        picked = [r for r in rows if r['check'] == key]
        out[key] = OrderedDict(
            cases=len(picked), agree=sum(r['reference_free'] == r['gold'] for r in picked),
            both_met=sum(r['reference_free'] and r['gold'] for r in picked),
            both_missed=sum(not r['reference_free'] and not r['gold'] for r in picked),
            free_met_gold_missed=sum(r['reference_free'] and not r['gold'] for r in picked),
            free_missed_gold_met=sum(not r['reference_free'] and r['gold'] for r in picked))
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('reports', nargs='+', help='report.json files made with a retrained model')
    parser.add_argument('--out', required=True, help='where the agreement json goes')
    parser.add_argument('--opt', help="network_g of this option file for weights without an experiment's option "
                        'file beside them (default: the shipped tiny PromptIR)')
    args = parser.parse_args(argv)
    network_opt = load_option_file(args.opt)['network_g'] if args.opt else None
    runs, rows = [], []
    for path in args.reports:
        with open(path, encoding='utf-8') as f:
            report = json.load(f)
        if 'retrained' not in report['models']:
            raise SystemExit(f'{path}: no retrained model in this report, nothing to agree with.')
        print(f'{path}: forget {report["forget"]}', flush=True)
        report = with_reference_free(report, network_opt)
        benchmark = (read_stamp(report['data_root']) or {}).get('name') or osp.basename(report['data_root'])
        run_rows = [OrderedDict(benchmark=benchmark, forget=report['forget'], **row) for row in agreement_rows(report)]
        never_saw = report['models']['retrained']['membership_unseen']
        runs.append(OrderedDict(report=osp.relpath(path), benchmark=benchmark, forget=report['forget'],
                                title=report['title'], models=len(report['reference_free']),
                                never_saw_auc=never_saw['auc'], never_saw_interval=never_saw['interval'],
                                original_auc=report['models']['original']['membership_unseen']['auc']))
        rows += run_rows
    summary = OrderedDict(
        command='python benchmarks/reference_free_agreement.py ' + ' '.join(args.reports) + f' --out {args.out}'
        + (f' --opt {args.opt}' if args.opt else ''),
        machine=machine(), runs=runs, tally=tally(rows),
        by_benchmark=OrderedDict((b, tally([r for r in rows if r['benchmark'] == b]))
                                 for b in dict.fromkeys(r['benchmark'] for r in rows)),
        rows=rows)
    write_json_atomic(summary, args.out)
    for key, t in summary['tally'].items():
        print(f"{key:<22} agree {t['agree']}/{t['cases']}  (free met, gold missed: {t['free_met_gold_missed']}; "
              f"free missed, gold met: {t['free_missed_gold_met']})")


if __name__ == '__main__':
    main()
