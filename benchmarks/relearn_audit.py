"""The relearning audit on a shipped zoo: ours and the two peers with the lowest stored test Avg.
Gap, each at the learning rate its benchmark chose, three seeds, next to the original and the
retrained model. Does any of them hide the task rather than forget it?

    python benchmarks/relearn_audit.py [--data datasets/mini_allinone] [--tasks rain haze]
        # writes benchmarks/results/relearn_audit.json (real_mini: benchmarks/results/real_mini/relearn_audit.json)
"""
import json
import sys
from collections import OrderedDict
from os import path as osp

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.reporting import report_models
from basicsr_unlearn.runs.compose import compose_option
from basicsr_unlearn.runs.launch import run_training
from basicsr_unlearn.runs.references import reference_models
from basicsr_unlearn.tasks import TASKS
from basicsr_unlearn.zoo import ORIGINAL, zoo_network_opt
# benchmarks/ is on the path of a script run from it
from per_task_results import parse_args, results_path, write_per_task

SEEDS = (0, 1, 2)
PEERS = 2


def audited_methods(task, benchmark):
    """{method: lr}: ours and the ``PEERS`` peers of lowest test Avg. Gap in the stored comparison
    (its mean over seeds where the comparison ran several)."""
    stored = json.load(open(results_path(benchmark, f'forget_{task}.json')))
    if 'methods' in stored:  # seeded: one entry per method, Avg. Gap as mean and spread
        avg_gap = {label: m['avg_gap']['mean'] for label, m in stored['methods'].items()}
        lr = {label: m['lr'] for label, m in stored['methods'].items()}
    else:
        models = {label: m for label, m in stored['models'].items() if label not in ('original', 'retrained')}
        avg_gap = {label: m['avg_gap'] for label, m in models.items()}
        lr = {label: m['lr'] for label, m in models.items()}
    peers = sorted((label for label in avg_gap if label != 'ours'), key=avg_gap.get)
    return OrderedDict((label, lr[label]) for label in ['ours'] + peers[:PEERS])


def per_seed(audit, labels, **extra):
    """``extra``, then the steps to the target, the val PSNR before and after the budget, and the
    whole curve ([step, val PSNR] at every record) of each run."""
    models = audit['models']
    return OrderedDict(extra, steps_to_regain=[models[x]['steps_to_regain'] for x in labels],
                       start_psnr=[models[x]['curve'][0][1] for x in labels],
                       end_psnr=[models[x]['curve'][-1][1] for x in labels],
                       curves=[models[x]['curve'] for x in labels])


def audit_task(task, data_root, benchmark, out):
    network_opt = zoo_network_opt(ORIGINAL, benchmark)
    weights = reference_models(task, benchmark)
    chosen = audited_methods(task, benchmark)
    for method, lr in chosen.items():
        for seed in SEEDS:
            opt = compose_option(task, method, lr, data_root, name=f'{task}_{method}_seed{seed}', benchmark=benchmark)
            opt['manual_seed'] = seed
            weights[f'{method} s{seed}'] = run_training(opt, osp.join(out, 'work'), show_progress=False)['weights']
            print(f'{task}: {method} lr {lr:g} seed {seed} trained', flush=True)
    networks = OrderedDict((label, network_from_weights(path, network_opt)[0]) for label, path in weights.items())
    report, _ = report_models(networks, task, data_root, TASKS, osp.join(out, f'report_{task}'),
                              title=f'relearning audit, {task}', weights=weights, audits=('relearn',))
    audit = report['audits']['relearn']
    per_method = OrderedDict()
    for label in ('original', 'retrained'):
        per_method[label] = per_seed(audit, [label], lr=None)
    for method, lr in chosen.items():
        labels = [f'{method} s{seed}' for seed in SEEDS]
        per_method[method] = per_seed(audit, labels, lr=lr)
        per_method[method]['forget_gap'] = [report['gaps'][x]['forget_gap'] for x in labels]
    return OrderedDict((k, audit[k]) for k in ('budget', 'split', 'forget_tasks', 'input_psnr', 'original_psnr',
                                               'regain_fraction', 'target_psnr')), per_method


def main():
    args, benchmark = parse_args(__doc__, 'relearn_runs', tasks=('rain', 'haze'))

    def measure(task):
        setting, per_method = audit_task(task, args.data, benchmark, osp.join(args.out, benchmark))
        return OrderedDict(setting, methods=per_method)
    write_per_task(results_path(benchmark, 'relearn_audit.json'), benchmark, SEEDS, args.tasks, measure)
    return 0


if __name__ == '__main__':
    sys.exit(main())
