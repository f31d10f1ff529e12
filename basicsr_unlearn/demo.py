"""The main job: unlearn one degradation from the shipped tiny model and prove it.

``basicsr-unlearn demo`` builds the mini benchmark if needed, unlearns rain from the
shipped all-in-one PromptIR with AdversarialRetainModel through BasicSR's train loop,
evaluates it against the shipped model retrained without rain (and the original),
prints the table and writes the report (json, md, png).
"""
import time
from collections import OrderedDict
from os import path as osp

from .data.mini_benchmark import TASKS, build_mini_benchmark
from .evaluation.acceptance import format_checks
from .evaluation.networks import load_network, zoo_network_opt
from .evaluation.report_writer import format_table, write_report
from .evaluation.restoration_metrics import paired_sources
from .evaluation.unlearning_report import build_report, task_split
from .unlearning_runs import compose_option, run_unlearning
from .zoo import MODELS, load_manifest, retrained_for, zoo_weights


def retrain_cost(group):
    """Training wall time and steps of the shipped model retrained without ``group``, from the manifest."""
    entry = load_manifest()['models'][retrained_for(group)]
    return entry['wall_time_s'], entry['steps']


def cost_entry(run, group):
    retrain_s, retrain_steps = retrain_cost(group)
    return OrderedDict(wall_time_s=round(run['wall_time_s'], 1), steps=run['steps'], retrain_time_s=retrain_s,
                       retrain_steps=retrain_steps, time_fraction=run['wall_time_s'] / retrain_s,
                       step_fraction=run['steps'] / retrain_steps)


def run_demo(task='rain', method='ours', data_root='datasets/mini_allinone', out='demo_runs', lr=None, steps=None):
    start = time.time()
    build_mini_benchmark(data_root, quiet=False)
    opt = compose_option(task, method, lr, data_root, name=f'demo_unlearn_{task}_{method}', total_iter=steps)
    print(f'Unlearning {task} with {opt["model_type"]} ({opt["train"]["total_iter"]} steps, BasicSR train loop)...')
    run = run_unlearning(opt, osp.join(out, 'work'))
    network_opt = zoo_network_opt()
    networks = OrderedDict([('original', load_network(zoo_weights('allinone'), network_opt)[0]),
                            ('retrained', load_network(zoo_weights(retrained_for(task)), network_opt)[0]),
                            (f'unlearned ({method})', load_network(run['weights'], network_opt)[0])])
    print('Evaluating original, retrained and unlearned models on the test split...')
    report = build_report(networks, task, data_root, TASKS, title=f'demo, {method}',
                          costs={f'unlearned ({method})': cost_entry(run, task)},
                          weights={'original': zoo_weights('allinone'), 'retrained': zoo_weights(retrained_for(task)),
                                   f'unlearned ({method})': run['weights']})
    forget_tasks, retain_tasks = task_split(TASKS, task)
    examples = paired_sources(data_root, [forget_tasks[0]] + retain_tasks[:2], 'test')
    path = write_report(report, osp.join(out, f'unlearn_{task}_{method}'), networks, examples)
    print(format_table(report))
    print('\nTargets (forget like the retrained model, keep the rest like the original, at a small cost):')
    print(format_checks(report['checks'][f'unlearned ({method})']))
    print(f'\nReport: {path} (+ report.json, report.png); unlearned weights: {run["weights"]}')
    print(f'Demo wall time: {time.time() - start:.0f} s')
    return report, run
