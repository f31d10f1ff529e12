"""BasicSR's option parsing, made to work on CPU, from site-packages and safely.

* ``python <site-packages>/basicsr/train.py`` (and ``python -m basicsr.train``) root
  their experiments at the *installed package's parent*, i.e. inside site-packages.
  When basicsr lives in site-packages we root them at the current directory.
* The ``-opt`` file is read with ``load_option_file`` before basicsr reads it, so a file
  basicsr would choke on (bad YAML, ``!!python`` tags, aliases) is named in one line.
* ``--force_yml key:path=value`` is parsed here, not by basicsr's ``eval``/``exec``: values
  are typed as YAML (``1e-3`` is a number), keys only walk the option tree (nothing runs),
  and a key that does not exist, the last one included, is named (basicsr's own parser does
  not support new keys either). The overrides are applied to the option file as read,
  before basicsr derives anything from it, and the experiment keeps the file with them.
* Every rank gets the same ``manual_seed`` and each dataset sees it as ``seed``,
  so datasets can draw the same crops whatever the number of processes.
"""
import atexit
import contextlib
import shutil
import sys
import tempfile
from os import path as osp

import torch
import yaml

from basicsr.utils import options as basicsr_options
from basicsr.utils.misc import set_random_seed

from ..utils import OptionError
from ..utils.options import OptionDumper, OptionLoader, load_option_file, set_option_key
from .checkpoints import load_resume_state, project_root

_original_parse_options = basicsr_options.parse_options
FORCE_YML = '--force_yml'


def parse_options(root_path, is_train=True):
    """Drop-in for ``basicsr.utils.options.parse_options``."""
    with forced_options_applied(sys.argv):
        opt, args = _original_parse_options(project_root(root_path), is_train)
    _check_device(opt)
    _agree_on_seed(opt)
    for dataset_opt in opt['datasets'].values():
        dataset_opt.setdefault('seed', opt['manual_seed'])
    # BasicSR's own train.py defines a CUDA-only load_resume_state next to its
    # train_pipeline, which is the caller; swap it for ours before it runs.
    caller_globals = sys._getframe(1).f_globals
    if getattr(caller_globals.get('load_resume_state'), '__name__', None) == 'load_resume_state':
        caller_globals['load_resume_state'] = load_resume_state
    return opt, args


def split_force_yml(argv):
    """(argv without ``--force_yml`` and its values, the values)."""
    kept, forced, inside = [], [], False
    for arg in argv:
        if arg == FORCE_YML:
            inside = True
        elif inside and not arg.startswith('--'):
            forced.append(arg)
        else:
            inside = False
            kept.append(arg)
    return kept, forced


def apply_forced(opt, forced, source='the option file'):
    """Set each ``a:b:c=value`` of ``--force_yml`` in ``opt`` (read from ``source``), the value
    read as YAML; every key must exist."""
    for item in forced:
        key, sep, text = item.partition('=')
        if not sep or not key.strip():
            raise OptionError(f'{FORCE_YML} {item}', 'expected key:path=value, e.g. train:total_iter=100.')
        try:
            value = yaml.load(text.strip(), Loader=OptionLoader)
        except yaml.YAMLError as error:
            raise OptionError(f'{FORCE_YML} {item}', f'the value is not valid YAML ({error}).') from error
        set_option_key(opt, key.strip(), value, new_key=False, source=source)
    return opt


@contextlib.contextmanager
def forced_options_applied(argv):
    """While basicsr parses ``argv``: the ``-opt`` file checked, and its ``--force_yml`` values
    applied to a copy of it (same name, in a temporary folder) that ``-opt`` points to instead."""
    kept, forced = split_force_yml(argv)
    index = next((i for i, arg in enumerate(kept[:-1]) if arg == '-opt'), None)
    if index is None and forced:
        raise OptionError(FORCE_YML, 'needs -opt <option file>.')
    opt = None if index is None else load_option_file(kept[index + 1])
    if not forced:
        yield
        return
    opt = apply_forced(opt, forced, kept[index + 1])
    folder = tempfile.mkdtemp(prefix='basicsr_unlearn_force_yml_')
    atexit.register(shutil.rmtree, folder, True)  # basicsr copies the file into the experiment later
    path = osp.join(folder, osp.basename(kept[index + 1]))
    with open(path, 'w', encoding='utf-8') as f:
        yaml.dump(opt, f, Dumper=OptionDumper, sort_keys=False)
    kept[index + 1] = path
    original = list(argv)
    argv[:] = kept
    try:
        yield
    finally:
        argv[:] = original


def _check_device(opt):
    num_gpu = opt.get('num_gpu')
    if not isinstance(num_gpu, int) or num_gpu < 0:
        raise OptionError('num_gpu', f"expected 0 (CPU), a positive GPU count or 'auto', got {num_gpu!r}.")
    if num_gpu > 0 and not torch.cuda.is_available():
        raise OptionError('num_gpu', f'is {num_gpu} but CUDA is not available here; use 0 (CPU) or auto.')


def _agree_on_seed(opt):
    """BasicSR draws a random seed per rank when ``manual_seed`` is missing; make rank 0's win."""
    if not opt['dist']:
        return
    seed = [opt['manual_seed']]
    torch.distributed.broadcast_object_list(seed, src=0)
    if seed[0] != opt['manual_seed']:
        opt['manual_seed'] = seed[0]
        set_random_seed(seed[0] + opt['rank'])


def ordered_yaml():
    """Drop-in for ``basicsr.utils.options.ordered_yaml``: (Loader, Dumper), safe and order-keeping."""
    return OptionLoader, OptionDumper
