"""Requests one after another against one joint request: ours forgets haze from the shipped
original, then rain from that result (each with its own shipped recipe, as two ``forget`` requests
would), and, separately, rain and haze at once (``options/unlearn/PromptIR/unlearn_rain_haze_promptir_tiny.yml``).
Three seeds; every model judged on the test split against the zoo's model retrained without both
(``no_rain_haze``). The first request alone is reported too: it shows what the second one adds.

    python benchmarks/sequential_requests.py [--data datasets/mini_allinone]
        # writes benchmarks/results/sequential_requests.json
"""
import sys
from collections import OrderedDict
from os import path as osp

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.runs.compose import compose_option
from basicsr_unlearn.runs.launch import run_training
from basicsr_unlearn.runs.references import cost_entry, reference_models
from basicsr_unlearn.tasks import JOINT_REQUESTS
from basicsr_unlearn.zoo import ORIGINAL, zoo_network_opt
# benchmarks/ is on the path of a script run from it
from per_task_results import parse_args, results_path, seeded_variants, write_per_task

SEEDS = (0, 1, 2)
JOINT = 'rain_haze'
FIRST, SECOND = 'haze', 'rain'
VARIANTS = (f'{FIRST} only (the first request)', f'{FIRST}, then {SECOND}', f'{SECOND} and {FIRST} at once')
assert sorted(JOINT_REQUESTS[JOINT]) == sorted((FIRST, SECOND))


def run_ours(task, data_root, benchmark, name, seed, work, original=None):
    """One run of our shipped recipe for ``task``, from ``original`` (default: the zoo's)."""
    opt = compose_option(task, 'ours', data_root=data_root, name=name, original=original, benchmark=benchmark)
    opt['manual_seed'] = seed
    return run_training(opt, work, show_progress=False)


def chained(*runs):
    """The cost of requests made one after another: their wall times and steps added."""
    return OrderedDict(wall_time_s=sum(r['wall_time_s'] for r in runs), steps=sum(r['steps'] for r in runs))


def measure(data_root, benchmark, out):
    network_opt = zoo_network_opt(ORIGINAL, benchmark)
    weights = reference_models(JOINT, benchmark)
    costs, runs_of = OrderedDict(), OrderedDict((v, []) for v in VARIANTS)
    work = osp.join(out, 'work')
    for seed in SEEDS:
        first = run_ours(FIRST, data_root, benchmark, f'{FIRST}_seed{seed}', seed, work)
        second = run_ours(SECOND, data_root, benchmark, f'{FIRST}_then_{SECOND}_seed{seed}', seed, work,
                          original=first['weights'])
        joint = run_ours(JOINT, data_root, benchmark, f'{JOINT}_seed{seed}', seed, work)
        for variant, run, weights_path in zip(VARIANTS, (first, chained(first, second), joint),
                                              (first['weights'], second['weights'], joint['weights'])):
            label = f'{variant}, seed {seed}'
            weights[label], costs[label] = weights_path, cost_entry(run, JOINT, benchmark)
            runs_of[variant].append(label)
            print(f"{label}: {run['steps']} steps, {run['wall_time_s']:.0f} s", flush=True)
    return seeded_variants(weights, JOINT, data_root, network_opt, osp.join(out, 'report'),
                           f'{VARIANTS[1]}, against both at once', costs, runs_of)


def main():
    args, benchmark = parse_args(__doc__, 'sequential_runs')
    write_per_task(results_path(benchmark, 'sequential_requests.json'), benchmark, SEEDS, [JOINT],
                   lambda task: measure(args.data, benchmark, osp.join(args.out, benchmark)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
