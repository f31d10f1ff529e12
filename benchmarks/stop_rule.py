"""The stop rule against the fixed step count: ours on a shipped zoo, each forgettable task, three
seeds, once with the recipe's steps and once as ``forget`` runs without ``--steps`` (val checked
every quarter of the recipe's steps, capped at five times them: ``runs/forget.py``). Both are
judged on the test split against the zoo's original and retrained models.

    python benchmarks/stop_rule.py [--data datasets/mini_allinone] [--tasks rain haze noise]
        # writes benchmarks/results/<benchmark>/stop_rule.json (mini_allinone: benchmarks/results/stop_rule.json)
"""
import sys
from collections import OrderedDict
from os import path as osp

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr_unlearn.runs.compose import compose_option
from basicsr_unlearn.runs.forget import add_stop_rule, steps_taken, stop_record
from basicsr_unlearn.runs.launch import run_training
from basicsr_unlearn.runs.references import cost_entry, reference_models
from basicsr_unlearn.tasks import FORGETTABLE
from basicsr_unlearn.zoo import ORIGINAL, zoo_network_opt
# benchmarks/ is on the path of a script run from it
from per_task_results import parse_args, results_path, seeded_variants, write_per_task

SEEDS = (0, 1, 2)
VARIANTS = ('fixed steps', 'stop rule')


def run_one(task, data_root, benchmark, variant, seed, work):
    """(weights, cost entry with the steps taken) of one run."""
    keep_val = variant == VARIANTS[1]
    opt = compose_option(task, 'ours', data_root=data_root, name=f'{task}_{variant.replace(" ", "_")}_seed{seed}',
                         benchmark=benchmark, keep_val=keep_val)
    if keep_val:
        add_stop_rule(opt)
    opt['manual_seed'] = seed
    run = run_training(opt, work, show_progress=False)
    run['steps'] = steps_taken(stop_record(run), run)
    return run['weights'], cost_entry(run, task, benchmark)


def measure_task(task, data_root, benchmark, out):
    network_opt = zoo_network_opt(ORIGINAL, benchmark)
    weights = reference_models(task, benchmark)
    costs, runs_of = OrderedDict(), OrderedDict((v, []) for v in VARIANTS)
    for variant in VARIANTS:
        for seed in SEEDS:
            label = f'{variant}, seed {seed}'
            weights[label], costs[label] = run_one(task, data_root, benchmark, variant, seed, osp.join(out, 'work'))
            runs_of[variant].append(label)
            print(f"{task}: {label}: {costs[label]['steps']} steps, {costs[label]['wall_time_s']:.0f} s", flush=True)
    return seeded_variants(weights, task, data_root, network_opt, osp.join(out, f'report_{task}'),
                           f'stop rule, {task}', costs, runs_of)


def main():
    args, benchmark = parse_args(__doc__, 'stop_rule_runs', tasks=FORGETTABLE)
    write_per_task(results_path(benchmark, 'stop_rule.json'), benchmark, SEEDS, args.tasks,
                   lambda task: measure_task(task, args.data, benchmark, osp.join(args.out, benchmark)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
