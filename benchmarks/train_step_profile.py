"""Where a training step's time goes, and what the usual switches buy on this machine.

One run, with the threads torch uses here:

- a profile (torch.profiler, self CPU time by operator) of three steps of the tiny PromptIR's
  SRModel and of ours (AdversarialRetainModel, the shipped rain recipe) on the shipped batch of
  benchmarks/throughput.py, with the share of the optimizer's update (``Optimizer.step``, its
  operators included);
- the same SRModel step (network, L1 loss, Adam) under the switches that usually speed training
  up: fused Adam, ``channels_last`` weights and inputs, both, and with ``--compile``
  ``torch.compile`` (its compile time counted). The variants are built in one process and timed
  in turns, round after round, so that a slow spell of the machine falls on all of them alike.

    python benchmarks/train_step_profile.py [--compile]   # writes benchmarks/results/train_step_profile.json
"""
import argparse
import importlib.util
import logging
import statistics
import sys
import tempfile
import time
from os import path as osp

import torch

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr.archs import build_network
from basicsr.models import build_model
from basicsr.utils import get_root_logger
from basicsr_unlearn.runs.compose import compose_option
from basicsr_unlearn.utils.files import machine, write_json_atomic

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_JSON = osp.join(REPO, 'benchmarks', 'results', 'train_step_profile.json')
PROFILED = ('SRModel', 'ours')
TOP = 12  # operators listed per profile


def throughput_module():
    """benchmarks/throughput.py (the shipped batch and the models it builds), imported by path."""
    spec = importlib.util.spec_from_file_location('throughput', osp.join(REPO, 'benchmarks', 'throughput.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def profile_rows(throughput, network, batch, folder):
    """{method: {'step_s', 'optimizer_share', 'operators': [(name, share of self CPU time)]}}."""
    torch.manual_seed(0)
    weights = osp.join(folder, 'start.pth')
    torch.save({'params': build_network(dict(network)).state_dict()}, weights)
    out = {}
    for method, opt, kind, _ in throughput.variants(network, weights):
        if method not in PROFILED:
            continue
        model = build_model(opt)
        data = batch if kind == 'unlearn' else {'lq': batch['lq_retain'], 'gt': batch['gt_retain']}
        for i in range(3):
            model.feed_data(data)
            model.optimize_parameters(1 + i)
        start = time.perf_counter()
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            for i in range(3):
                model.feed_data(data)
                model.optimize_parameters(4 + i)
        seconds = (time.perf_counter() - start) / 3
        events = prof.key_averages()
        total = sum(e.self_cpu_time_total for e in events)
        optimizer = sum(e.cpu_time_total for e in events if e.key.startswith('Optimizer.step#'))
        top = sorted(events, key=lambda e: -e.self_cpu_time_total)[:TOP]
        out[method] = dict(step_s=round(seconds, 4), optimizer_share=round(optimizer / total, 4),
                           operators=[[e.key, round(e.self_cpu_time_total / total, 4)] for e in top])
        print(f'  {method}: {seconds:.3f} s/step under the profiler; top: '
              + ', '.join(f'{k} {100 * s:.0f}%' for k, s in out[method]['operators'][:4]), flush=True)
    return out


def switch_steps(network, batch, with_compile):
    """{variant: step function} on one network, loss and optimizer each, plus compile seconds per variant."""
    lq, gt = batch['lq_retain'], batch['gt_retain']
    steps, compile_s = {}, {}
    variants = ['default', 'fused Adam', 'channels_last', 'channels_last + fused Adam']
    if with_compile:
        variants.append('torch.compile')
    for variant in variants:
        torch.manual_seed(0)
        net = build_network(dict(network))
        x = lq
        if 'channels_last' in variant:
            for p in net.parameters():  # the convolutions' weights (PromptIR's prompts are 5-D)
                if p.dim() == 4:
                    p.data = p.data.contiguous(memory_format=torch.channels_last)
            x = lq.contiguous(memory_format=torch.channels_last)
        optimizer = torch.optim.Adam(net.parameters(), 2e-4, fused='fused' in variant or None)
        forward = torch.compile(net) if variant == 'torch.compile' else net

        def step(forward=forward, optimizer=optimizer, x=x):
            optimizer.zero_grad()
            (forward(x) - gt).abs().mean().backward()
            optimizer.step()
        start = time.perf_counter()
        step()  # compiles, where it does
        if variant == 'torch.compile':
            compile_s[variant] = round(time.perf_counter() - start, 1)
            print(f'  torch.compile: first step {compile_s[variant]} s', flush=True)
        step()
        steps[variant] = step
    return steps, compile_s


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--compile', action='store_true', help='also time torch.compile (minutes on 2 cores)')
    parser.add_argument('--rounds', type=int, default=8, help='timing rounds (default: %(default)s)')
    parser.add_argument('--json', default=DEFAULT_JSON, help=f'default: {osp.relpath(DEFAULT_JSON, REPO)}')
    args = parser.parse_args()
    started = time.perf_counter()
    get_root_logger().setLevel(logging.ERROR)
    throughput = throughput_module()
    batch = throughput.shipped_batch()
    network = compose_option(throughput.TASK)['network_g']
    print('profile (tiny PromptIR, shipped batch):', flush=True)
    with tempfile.TemporaryDirectory() as folder:
        profiles = profile_rows(throughput, network, batch, folder)
    print('switches (tiny PromptIR, SRModel step):', flush=True)
    steps, compile_s = switch_steps(network, batch, args.compile)
    times = {variant: [] for variant in steps}
    for _ in range(args.rounds):
        for variant, step in steps.items():
            start = time.perf_counter()
            step()
            times[variant].append(time.perf_counter() - start)
    base = statistics.median(times['default'])
    switches = {variant: dict(median_s=round(statistics.median(t), 4), min_s=round(min(t), 4),
                              max_s=round(max(t), 4), speedup=round(base / statistics.median(t), 3),
                              compile_s=compile_s.get(variant))
                for variant, t in times.items()}
    for variant, row in switches.items():
        print(f"  {variant}: median {row['median_s']:.3f} s (range {row['min_s']:.3f}-{row['max_s']:.3f}), "
              f"x{row['speedup']:.2f}", flush=True)
    result = dict(command='python benchmarks/train_step_profile.py' + (' --compile' if args.compile else ''),
                  machine=machine(), batch=throughput.BATCH_NOTE, network='tiny PromptIR (the shipped rain recipe)',
                  profiles=profiles, switch_rounds=args.rounds, switches=switches,
                  wall_s=round(time.perf_counter() - started, 1))
    write_json_atomic(result, args.json)
    print(f"wrote {args.json} ({result['wall_s']:.0f} s)")
    return 0


if __name__ == '__main__':
    sys.exit(main())
