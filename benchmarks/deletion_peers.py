"""Deletion requests: our method and its peers under the same budget, over seeds.

Every method deletes the request's images (``options/delete_<request>.yml`` with the
method's block of ``options/unlearn/methods.yml``: same data, steps and batch) once per
seed; all models are judged together against the original and the shipped model retrained
without the images (``evaluation/deletion_report.py``). Each method runs at the learning rate
chosen on val for forgetting the request's whole task (``--lrs-from``, the kept benchmark
results); methods not in that file run at the option file's rate. No rate is chosen on the
deletion's own numbers: there is no held-out deleted set to choose on.

    python benchmarks/deletion_peers.py --request rain20 --seeds 0 1 2 --out runs/deletion \
        --results benchmarks/results/deletion_rain20.json

Run it from the folder holding the mini benchmark (``datasets/mini_allinone``).
"""
import argparse
import json
from collections import OrderedDict
from os import path as osp

from basicsr_unlearn.evaluation.report_writer import check_report_folder
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.runs.benchmark import spread_of
from basicsr_unlearn.runs.compose import methods
from basicsr_unlearn.runs.deletion import deletion_request, judge_deletion, print_deletion, unlearn_deletion
from basicsr_unlearn.runs.demo import cost_entry, reference_models
from basicsr_unlearn.tasks import MINI_ROOT
from basicsr_unlearn.utils.files import machine, write_json_atomic


def method_statistics(report, runs_of):
    """Per method: mean and spread over its seeds of each headline number, and on how many seeds
    each target was met."""
    stats = OrderedDict()
    for method, labels in runs_of.items():
        models = [report['models'][label] for label in labels]
        checks = [report['checks'][label] for label in labels]
        original = report['models']['original']['test_psnr']
        stats[method] = OrderedDict(
            runs=labels, lr=report['cost'][labels[0]]['lr'],
            deleted_psnr=spread_of(m['groups']['deleted']['psnr'] for m in models),
            deleted_gain=spread_of(m['groups']['deleted']['gain'] for m in models),
            unseen_gain=spread_of(m['groups']['unseen']['gain'] for m in models),
            deleted_auc=spread_of(m['membership']['deleted_vs_unseen']['auc'] for m in models),
            retained_auc=spread_of(m['membership']['retained_vs_unseen']['auc'] for m in models),
            worst_test_change=spread_of(min(m['test_psnr'][t] - original[t] for t in original) for m in models),
            time_fraction=spread_of(report['cost'][label]['time_fraction'] for label in labels),
            targets_met=OrderedDict((key, sum(all(c['met'] for c in run if c['target_key'] == key) for run in checks))
                                    for key in dict.fromkeys(c['target_key'] for c in checks[0])))
    return stats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--request', default='rain20')
    parser.add_argument('--methods', nargs='+', help='default: every method of options/unlearn/methods.yml')
    parser.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    parser.add_argument('--steps', type=int, help="the option file's budget unless given")
    parser.add_argument('--data', default=MINI_ROOT)
    parser.add_argument('--lrs-from', help='kept benchmark results whose per-method lr to use '
                        '(default: benchmarks/results/forget_<task>.json)')
    parser.add_argument('--out', default='deletion_runs')
    parser.add_argument('--results', help='where the summary json goes (default: <out>/summary.json)')
    args = parser.parse_args(argv)
    task, names = deletion_request(args.request)
    method_names = args.methods or list(methods())
    lrs_from = args.lrs_from or osp.join(osp.dirname(osp.abspath(__file__)), 'results', f'forget_{task}.json')
    with open(lrs_from, encoding='utf-8') as f:
        chosen = {m: r['lr'] for m, r in json.load(f)['models'].items() if r.get('lr')}
    benchmark = open_benchmark(args.data)['name']
    report_dir = osp.join(args.out, f'delete_{args.request}')
    check_report_folder(report_dir)
    weights, costs, runs_of = reference_models(args.request, benchmark), OrderedDict(), OrderedDict()
    for method in method_names:
        runs_of[method] = []
        for seed in args.seeds:
            run = unlearn_deletion(args.request, method, args.data, osp.join(args.out, 'work'), chosen.get(method),
                                   args.steps, seed, benchmark)
            label = f'{method} s{seed}'
            runs_of[method].append(label)
            weights[label] = run['weights']
            costs[label] = dict(cost_entry(run, args.request, benchmark), lr=run['lr'])
            print(f"  {label}: {run['wall_time_s']:.0f} s", flush=True)
    report = judge_deletion(weights, args.request, args.data, benchmark, costs,
                            title=f'delete {args.request}: all methods, same budget, seeds {args.seeds}')
    write_json_atomic(report, osp.join(report_dir, 'report.json'))
    print_deletion(report)
    command = (f'python benchmarks/deletion_peers.py --request {args.request} --methods {" ".join(method_names)} '
               f'--seeds {" ".join(map(str, args.seeds))}' + (f' --steps {args.steps}' if args.steps else ''))
    summary = OrderedDict(
        request=args.request, task=task, deleted=len(names), command=command, machine=machine(),
        lrs_from=osp.relpath(lrs_from), seeds=args.seeds,
        references=OrderedDict((label, OrderedDict(
            deleted_psnr=report['models'][label]['groups']['deleted']['psnr'],
            deleted_gain=report['models'][label]['groups']['deleted']['gain'],
            unseen_gain=report['models'][label]['groups']['unseen']['gain'],
            deleted_auc=report['models'][label]['membership']['deleted_vs_unseen']['auc'],
            deleted_auc_interval=report['models'][label]['membership']['deleted_vs_unseen']['interval'],
            retained_auc=report['models'][label]['membership']['retained_vs_unseen']['auc'],
            test_psnr=report['models'][label]['test_psnr'])) for label in ('original', 'retrained')),
        methods=method_statistics(report, runs_of))
    write_json_atomic(summary, args.results or osp.join(report_dir, 'summary.json'))


if __name__ == '__main__':
    main()
