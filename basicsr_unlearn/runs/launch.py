"""The one way our commands run a training job: BasicSR's train loop in a subprocess.

The option dict is written as a complete option file into ``work_dir`` (so the run can be
repeated by hand with ``python -m basicsr_unlearn.train -opt <file>``), then run there with
its output logged and BasicSR's iterations shown as a progress bar.
"""
import os
import re
import subprocess
import sys
import time
from os import path as osp

from tqdm import tqdm

from ..utils.options import dump_option

ITER_LINE = re.compile(r'\[epoch:[^\]]*\biter:\s*([\d,]+)')


def write_option_file(opt, path):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(dump_option(opt))
    return path


def training_command(option_path, nproc=1, extra_args=()):
    """``python -m basicsr_unlearn.train`` for 1 process, under ``torchrun`` (CPU: gloo) for more."""
    if nproc == 1:
        head, launcher = [sys.executable, '-m', 'basicsr_unlearn.train'], []
    else:
        head = [sys.executable, '-m', 'torch.distributed.run', '--standalone', f'--nproc_per_node={nproc}', '-m',
                'basicsr_unlearn.train']
        launcher = ['--launcher', 'pytorch']
    return head + ['-opt', option_path] + launcher + list(extra_args)


def run_training(opt, work_dir, show_progress=True, nproc=1, extra_args=()):
    """Run ``opt`` in ``work_dir`` on ``nproc`` processes, with BasicSR flags ``extra_args``
    (e.g. ``--auto_resume``); returns dict(weights, experiment, wall_time_s, steps, log, option)."""
    work_dir = osp.abspath(work_dir)  # the subprocess runs inside it, so relative paths would not resolve
    os.makedirs(work_dir, exist_ok=True)
    option_path = write_option_file(opt, osp.join(work_dir, f"{opt['name']}.yml"))
    log_path = osp.join(work_dir, f"{opt['name']}.out")
    steps = int(opt['train']['total_iter'])
    bar = tqdm(total=steps, desc=opt['name'], unit='it', disable=not show_progress, leave=False)
    start = time.time()
    with open(log_path, 'a' if '--auto_resume' in extra_args else 'w', encoding='utf-8') as log:
        process = subprocess.Popen(training_command(option_path, nproc, extra_args), cwd=work_dir,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=dict(os.environ, PYTHONUNBUFFERED='1'))
        try:
            for line in process.stdout:
                log.write(line)
                match = ITER_LINE.search(line)
                if match:
                    bar.update(int(match.group(1).replace(',', '')) - bar.n)
        except KeyboardInterrupt:  # Ctrl-C: stop the run too (its saved states stay for --auto_resume)
            process.terminate()
            process.wait()
            raise
        code = process.wait()
    wall = time.time() - start
    bar.close()
    if code != 0:
        with open(log_path, encoding='utf-8') as f:
            tail = ''.join(f.readlines()[-25:])
        raise RuntimeError(f'training run {opt["name"]} failed (exit {code}); log {log_path}:\n{tail}')
    experiment = osp.join(work_dir, 'experiments', opt['name'])
    return dict(weights=osp.join(experiment, 'models', 'net_g_latest.pth'), experiment=experiment, wall_time_s=wall,
                steps=steps, log=log_path, option=option_path)
