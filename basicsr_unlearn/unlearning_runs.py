"""Running an unlearning job through BasicSR's train loop, from the shipped option files.

Used by ``demo`` and ``benchmark``: it composes ``options/unlearn_<task>.yml`` with a
method block of ``options/unlearn/methods.yml``, points it at the data and the
original weights, and runs ``python -m basicsr_unlearn.train`` in a subprocess,
timing it and showing BasicSR's iterations as a progress bar.
"""
import copy
import os
import re
import subprocess
import sys
import time
from os import path as osp

import yaml
from tqdm import tqdm

from .compat.option_yaml import OptionDumper
from .utils import OptionError
from .utils.options_files import rebase_dataroots, shipped_option
from .zoo import TASK_GROUPS, zoo_weights

ITER_LINE = re.compile(r'\[epoch:[^\]]*\biter:\s*([\d,]+)')


def methods():
    return shipped_option('unlearn/methods.yml')


def compose_option(task, method='ours', lr=None, data_root='datasets/mini_allinone', name=None,
                   original=None, total_iter=None, overrides=None):
    """The option dict of unlearning ``task`` with ``method`` (a key of methods.yml), then
    ``overrides`` ({'a:b:c': value}, see ``set_option_key``) on top."""
    if task not in TASK_GROUPS:
        raise ValueError(f'--task: expected one of {sorted(TASK_GROUPS)}, got {task!r}.')
    catalogue = methods()
    if method not in catalogue:
        raise ValueError(f'--method: expected one of {sorted(catalogue)}, got {method!r}.')
    opt = rebase_dataroots(shipped_option(f'unlearn_{task}.yml'), osp.abspath(data_root))
    spec = catalogue[method]
    opt['model_type'] = spec['model_type']
    for block, target in (('train', opt['train']), ('dataset', opt['datasets']['train'])):
        for key, value in (spec.get(block) or {}).items():
            if value is None:
                target.pop(key, None)
            else:
                target[key] = copy.deepcopy(value)
    if lr is not None:
        opt['train']['optim_g']['lr'] = float(lr)
    if total_iter is not None:
        opt['train']['total_iter'] = opt['val']['val_freq'] = opt['logger']['save_checkpoint_freq'] = int(total_iter)
    opt['path']['pretrain_network_g'] = osp.abspath(original or zoo_weights('allinone'))
    opt['name'] = name or f'unlearn_{task}_{method}'
    opt.pop('val', None)  # evaluation happens afterwards, on the split the caller chooses
    opt['datasets'] = {k: v for k, v in opt['datasets'].items() if k == 'train'}
    for dotted, value in (overrides or {}).items():
        set_option_key(opt, dotted, value)
    return opt


def set_option_key(opt, dotted, value):
    """Set ``opt[a][b][c] = value`` for ``dotted`` = 'a:b:c' (list items by index).

    Every key but the last must exist, so a misspelt key fails at once instead of
    adding an option BasicSR would silently ignore; a new block is set whole, e.g.
    ``train:anchor_opt={loss_weight: 0.01}``.
    """
    keys = dotted.split(':')
    node = opt
    for depth, key in enumerate(keys):
        where = f"`{':'.join(keys[:depth])}`" if depth else 'the option file'
        if isinstance(node, list):
            if not key.isdigit() or int(key) >= len(node):
                raise OptionError(dotted, f'{where} is a list of {len(node)}; expected an index below '
                                          f'{len(node)}, got {key!r}.')
            key = int(key)
        elif not isinstance(node, dict):
            raise OptionError(dotted, f'{where} is {node!r}, not a block of options.')
        elif key not in node and depth < len(keys) - 1:
            raise OptionError(dotted, f'{where} has no key {key!r}; a new block is set whole, '
                                      f'e.g. `{":".join(keys[:depth + 1])}={{...}}`.')
        if depth == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]


def run_unlearning(opt, work_dir, show_progress=True):
    """Run ``opt`` in ``work_dir``; returns dict(weights, wall_time_s, steps, log)."""
    work_dir = osp.abspath(work_dir)  # the subprocess runs inside it, so relative paths would not resolve
    os.makedirs(work_dir, exist_ok=True)
    option_path = osp.join(work_dir, f"{opt['name']}.yml")
    with open(option_path, 'w', encoding='utf-8') as f:
        yaml.dump(opt, f, Dumper=OptionDumper, sort_keys=False)
    log_path = osp.join(work_dir, f"{opt['name']}.out")
    steps = int(opt['train']['total_iter'])
    bar = tqdm(total=steps, desc=opt['name'], unit='it', disable=not show_progress, leave=False)
    start = time.time()
    with open(log_path, 'w', encoding='utf-8') as log:
        process = subprocess.Popen([sys.executable, '-m', 'basicsr_unlearn.train', '-opt', option_path], cwd=work_dir,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   env=dict(os.environ, PYTHONUNBUFFERED='1'))
        for line in process.stdout:
            log.write(line)
            match = ITER_LINE.search(line)
            if match:
                bar.update(int(match.group(1).replace(',', '')) - bar.n)
        code = process.wait()
    wall = time.time() - start
    bar.close()
    if code != 0:
        with open(log_path, encoding='utf-8') as f:
            tail = ''.join(f.readlines()[-25:])
        raise RuntimeError(f'unlearning run {opt["name"]} failed (exit {code}); log {log_path}:\n{tail}')
    weights = osp.join(work_dir, 'experiments', opt['name'], 'models', 'net_g_latest.pth')
    return dict(weights=weights, wall_time_s=wall, steps=steps, log=log_path, option=option_path)
