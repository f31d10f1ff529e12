"""What you need before renting GPUs: time and peak memory of one training step of the published
PromptIR and AdaIR, at batch sizes 1, 2 and 4 and 128 px crops, for retraining (SRModel) and for
unlearning (the published rain file as shipped, and our tiny recipe's train block at that size).

On CPU each figure comes from its own process (so that the peak resident size is that step's), which
builds the model with BasicSR from the shipped published-size unlearning file, starts it from
random weights (the cost does not depend on them), runs two steps on a random batch and times the
second (``basicsr_unlearn/runs/preflight.py``, as ``forget --dry-run`` does). The projected run is
that step times the file's ``total_iter``, per process: under ``torchrun`` each GPU runs such a step
on its own ``batch_size_per_gpu``.

A process whose resident memory passes ``--memory-cap-gib`` is stopped, and its row says so: the
step needs more memory than that. A run replaces the rows it measures and keeps the others.

    python benchmarks/published_cost.py [--batches 1 2]  # CPU: writes benchmarks/results/published_cost.json
    python benchmarks/published_cost.py --device cuda --json benchmarks/results/device/published_cost.json
"""
import argparse
import json
import logging
import subprocess
import sys
import tempfile
import time
from os import path as osp

import torch

import basicsr_unlearn  # noqa: F401  (registers the networks and models)
from basicsr.archs import build_network
from basicsr.utils import get_root_logger
from basicsr_unlearn.runs.preflight import measure_step
from basicsr_unlearn.utils.files import machine, write_json_atomic
from basicsr_unlearn.utils.options import shipped_option
from throughput import shipped_batch  # benchmarks/ is on the path of a script run from it

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_JSON = osp.join(REPO, 'benchmarks', 'results', 'published_cost.json')
FILES = {'PromptIR': 'unlearn/PromptIR/unlearn_rain_promptir.yml', 'AdaIR': 'unlearn/AdaIR/unlearn_rain_adair.yml'}
OURS_TINY = 'unlearn_rain.yml'
VARIANTS = ('SRModel (retraining)', 'published file (PGD, 1 step)', "ours (the tiny file's train block)")
BATCHES, CROP = (1, 2, 4), 128
#: what the authors report for training the published model (for the table's last column)
AUTHORS_TRAINING = {'PromptIR': dict(days=3.5, gpus='4 x V100')}


def variant_option(arch, variant, weights):
    """The option dict of one row: the published rain file of ``arch``, as shipped or changed."""
    opt = shipped_option(FILES[arch])
    opt['path']['pretrain_network_g'] = weights
    if variant == VARIANTS[0]:
        opt['model_type'] = 'SRModel'
    elif variant == VARIANTS[2]:
        tiny = shipped_option(OURS_TINY)
        opt['model_type'], opt['train'] = tiny['model_type'], dict(tiny['train'], total_iter=opt['train']['total_iter'])
    return opt


def random_batch(batch_size, variant):
    """``shipped_batch`` of benchmarks/throughput.py at this size; SRModel trains on its retain half."""
    batch = shipped_batch(batch_size, CROP)
    return {'lq': batch['lq_retain'], 'gt': batch['gt_retain']} if variant == VARIANTS[0] else batch


def measure_one(arch, variant, batch_size, device):
    """One row, measured in this process."""
    get_root_logger().setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        weights = osp.join(folder, 'random.pth')
        torch.save({'params': build_network({'type': arch}).state_dict()}, weights)
        opt = variant_option(arch, variant, weights)
        row = measure_step(opt, device, random_batch(batch_size, variant))
    total_iter = int(opt['train']['total_iter'])
    return dict(arch=arch, variant=variant, model=opt['model_type'], batch=batch_size, crop=CROP, **row,
                total_iter=total_iter, projected_run_h=round(row['seconds_per_step'] * total_iter / 3600, 2))


def resident_mib(pid):
    """The resident memory of a running process (Linux), 0 once it has gone."""
    try:
        with open(f'/proc/{pid}/status') as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith('VmRSS:'))
    except (OSError, StopIteration):
        return 0.0


def run_capped(command, cap_mib):
    """``command``'s (returncode, stdout, stderr, stopped): stopped is True when its resident memory
    passed ``cap_mib`` and it was killed, before the machine had to swap or kill something else."""
    with tempfile.TemporaryFile('w+') as out, tempfile.TemporaryFile('w+') as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        stopped = False
        while child.poll() is None:
            if resident_mib(child.pid) > cap_mib:
                child.kill()
                stopped = True
            time.sleep(0.1)
        out.seek(0)
        err.seek(0)
        return child.returncode, out.read(), err.read(), stopped


def measure_row(arch, index, batch_size, device, cap_gib):
    """One row: on a GPU in this process (torch's peak is reset per row), on CPU in a process of its
    own, stopped past ``cap_gib`` of resident memory. A row that fails says why; the others still run."""
    variant = VARIANTS[index]
    head = dict(arch=arch, variant=variant, batch=batch_size, crop=CROP)
    if device == 'cuda':
        try:
            return measure_one(arch, variant, batch_size, device)
        except torch.cuda.OutOfMemoryError as error:
            return dict(head, error=f'out of GPU memory: {str(error).splitlines()[0][:200]}')
        finally:
            torch.cuda.empty_cache()
    returncode, stdout, stderr, stopped = run_capped(
        [sys.executable, __file__, '--device', device, '--one', arch, str(index), str(batch_size)], cap_gib * 1024)
    if stopped:
        return dict(head, memory_cap_mib=cap_gib * 1024, error=f'stopped: its resident memory passed {cap_gib:g} GiB')
    if returncode != 0:
        return dict(head, error=f'exit {returncode}: ' + (stderr.strip().splitlines() or [''])[-1][-200:])
    return json.loads(stdout.strip().splitlines()[-1])


def merged(old_rows, new_rows):
    """The rows of an earlier run that this one did not measure, then this one's, in table order."""
    key = (lambda r: (list(FILES).index(r['arch']), VARIANTS.index(r['variant']), r['batch']))
    fresh = {key(r) for r in new_rows}
    return sorted([r for r in old_rows if key(r) not in fresh] + new_rows, key=key)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--json', default=DEFAULT_JSON)
    parser.add_argument('--batches', nargs='+', type=int, default=list(BATCHES), help='default: %(default)s')
    parser.add_argument('--memory-cap-gib', type=float, default=20.0,
                        help='stop a row whose process holds more resident memory (default: %(default)s)')
    parser.add_argument('--one', nargs=3, metavar=('ARCH', 'VARIANT', 'BATCH'), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        arch, variant, batch_size = args.one
        print(json.dumps(measure_one(arch, VARIANTS[int(variant)], int(batch_size), args.device)))
        return 0
    started, rows = time.perf_counter(), []
    command = ' '.join(['python benchmarks/published_cost.py'] + sys.argv[1:])
    earlier = json.load(open(args.json)) if osp.isfile(args.json) else {}
    commands = [c for c in earlier.get('commands', []) if c != command] + [command]
    for arch in FILES:
        for index, variant in enumerate(VARIANTS):
            for batch_size in args.batches:
                rows.append(measure_row(arch, index, batch_size, args.device, args.memory_cap_gib))
                shown = rows[-1].get('error') or (f"{rows[-1]['seconds_per_step']:.2f} s/step, "
                                                  f"{rows[-1]['peak_memory_mib']:.0f} MiB")
                print(f'{arch}, {variant}, batch {batch_size}: {shown}', flush=True)
                write_json_atomic(dict(commands=commands, machine=machine(), authors_training=AUTHORS_TRAINING,
                                       files=FILES, rows=merged(earlier.get('rows', []), rows),
                                       wall_s=round(time.perf_counter() - started, 1)), args.json)
    print(f'wrote {args.json}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
