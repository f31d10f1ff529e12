"""What ``forget`` delivers with its defaults on each zoo of a benchmark: ours with the stop rule
(``forget_option``, exactly as ``forget`` without ``--method``, ``--lr`` or ``--steps`` builds it),
three seeds per forgotten degradation, judged on the test split against the zoo's original and
retrained models: the gold and the reference-free verdicts, and every retained task image by
image (median change, share of collapsed images, interval of the mean over images), and each
stop-rule check on val of every run (where in the run a retained task moved).

    python benchmarks/forget_defaults.py --data datasets/real_mini [--zoos real_mini real_mini_adair]
        [--tasks haze noise]   # writes benchmarks/results/<benchmark>/forget_defaults.json
"""
import argparse
import sys
import time
from collections import OrderedDict
from os import path as osp

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.evaluation.networks import network_from_weights
from basicsr_unlearn.evaluation.reporting import report_models
from basicsr_unlearn.prepare.benchmark_root import open_benchmark
from basicsr_unlearn.runs.benchmark import seed_statistics
from basicsr_unlearn.runs.forget import forget_option, steps_taken, stop_record
from basicsr_unlearn.runs.launch import run_training
from basicsr_unlearn.runs.references import cost_entry, reference_models
from basicsr_unlearn.tasks import FORGETTABLE, TASKS
from basicsr_unlearn.utils.files import machine, write_json_atomic
from basicsr_unlearn.zoo import ORIGINAL, ZOOS, zoo_benchmark, zoo_network_opt
# benchmarks/ is on the path of a script run from it
from per_task_results import kept_results, results_path

SEEDS = (0, 1, 2)
METHOD = 'ours (forget\'s defaults: stop rule)'


def measure(zoo, task, data_root, out):
    """Seeded runs of forget's default recipe on one zoo and task, evaluated together on test."""
    network_opt = zoo_network_opt(ORIGINAL, zoo)
    weights = reference_models(task, zoo)
    costs, checks, labels = OrderedDict(), OrderedDict(), []
    for seed in SEEDS:
        label = f'seed {seed}'
        opt = forget_option(weights['original'], task, data_root, f'{zoo}_{task}_seed{seed}', network_opt)
        opt['manual_seed'] = seed
        run = run_training(opt, osp.join(out, 'work'), show_progress=False)
        record = stop_record(run)
        run['steps'] = steps_taken(record, run)
        weights[label], costs[label] = run['weights'], cost_entry(run, task, zoo)
        checks[label] = record['checks']  # where in the run the val sets moved
        labels.append(label)
        print(f"{zoo} {task} {label}: {run['steps']} steps, {costs[label]['wall_time_s']:.0f} s", flush=True)
    networks = OrderedDict((label, network_from_weights(path, network_opt)[0]) for label, path in weights.items())
    started = time.perf_counter()
    report, _ = report_models(networks, task, data_root, TASKS, osp.join(out, f'report_{zoo}_{task}'),
                              title=f'forget defaults, {zoo}, {task}', costs=costs, weights=weights)
    stats = seed_statistics(report, OrderedDict([(METHOD, labels)]))[METHOD]
    stats['steps'] = [costs[label]['steps'] for label in labels]
    stats['reference_free_met'] = [sum(c['met'] for c in report['reference_free'][label]) for label in labels]
    stats['reference_free_checks'] = len(report['reference_free'][labels[0]])
    stats['retain_images'] = {label: report['gaps'][label]['retain_images'] for label in labels}
    stats['stop_checks'] = checks
    return OrderedDict(
        input_psnr=report['input_psnr'],
        models={label: {t: report['models'][label]['tasks'][t]['psnr'] for t in TASKS}
                for label in ('original', 'retrained')},
        membership={label: report['models'][label]['membership']['auc'] for label in ('original', 'retrained')},
        ours=stats, evaluation_wall_s=round(time.perf_counter() - started, 1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data', required=True)
    parser.add_argument('--zoos', nargs='+', choices=list(ZOOS))
    parser.add_argument('--tasks', nargs='+', default=['haze', 'noise'], choices=FORGETTABLE)
    parser.add_argument('--out', default='forget_defaults_runs')
    args = parser.parse_args()
    benchmark = open_benchmark(args.data)['name']
    zoos = args.zoos or [zoo for zoo in ZOOS if zoo_benchmark(zoo) == benchmark]
    path = results_path(benchmark, 'forget_defaults.json')
    results = kept_results(path, zoos=OrderedDict())  # zoos and tasks this command does not run are kept
    results.update(benchmark=benchmark, machine=machine(), seeds=list(SEEDS))
    for zoo in zoos:
        for task in args.tasks:
            started = time.perf_counter()
            entry = measure(zoo, task, args.data, osp.join(args.out, zoo))
            entry['command'] = ' '.join(['python benchmarks/forget_defaults.py'] + sys.argv[1:])
            entry['wall_s'] = round(time.perf_counter() - started, 1)  # its runs and their evaluation
            results['zoos'].setdefault(zoo, OrderedDict())[task] = entry
            write_json_atomic(results, path)  # what a stopped run finished is kept
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
