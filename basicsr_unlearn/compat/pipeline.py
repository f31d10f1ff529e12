"""BasicSR's option parsing and resume loading, made to work on CPU and from site-packages.

* ``python <site-packages>/basicsr/train.py`` (and ``python -m basicsr.train``) root
  their experiments at the *installed package's parent*, i.e. inside site-packages.
  When basicsr lives in site-packages we root them at the current directory.
* basicsr 1.4.2 loads resume states onto ``cuda`` (and with ``torch.load``'s new
  ``weights_only`` default it cannot read its own scheduler states). We load them on
  the CPU with ``weights_only=True``; the optimizer moves them to the parameters.
* Every rank gets the same ``manual_seed`` and each dataset sees it as ``seed``,
  so datasets can draw the same crops whatever the number of processes.
* ``path.pretrain_network_g`` accepts BasicSR, Lightning and plain weight files,
  loaded weights-only, with a report of what did not match.
"""
import collections
import os
import sys
from os import path as osp

import torch

from basicsr.utils import get_root_logger, scandir
from basicsr.utils import options as basicsr_options
from basicsr.utils.misc import check_resume, set_random_seed

from ..utils import OptionError
from ..utils.checkpoint import load_weights

_original_parse_options = basicsr_options.parse_options


def project_root(root_path):
    """Where experiments/, results/ and tb_logger/ go: the cwd when basicsr is an installed package."""
    if osp.basename(osp.normpath(root_path)) in ('site-packages', 'dist-packages'):
        return os.getcwd()
    return root_path


def parse_options(root_path, is_train=True):
    """Drop-in for ``basicsr.utils.options.parse_options``."""
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


def load_resume_state(opt):
    """Drop-in for ``basicsr.train.load_resume_state`` that loads on the CPU, safely."""
    opt['root_path'] = project_root(opt['root_path'])  # BasicSR's script resets it after parsing
    opt['path'].setdefault('pretrain_network_g_original', opt['path'].get('pretrain_network_g'))
    resume_state_path = None
    if opt['auto_resume']:
        state_dir = opt['path']['training_states']
        if osp.isdir(state_dir):
            iters = [int(v.split('.state')[0]) for v in scandir(state_dir, suffix='state')]
            if iters:
                resume_state_path = osp.join(state_dir, f'{max(iters)}.state')
                opt['path']['resume_state'] = resume_state_path
    else:
        resume_state_path = opt['path'].get('resume_state')
    if resume_state_path is None:
        return None
    if not osp.isfile(resume_state_path):
        raise OptionError('path.resume_state', f'file not found: {resume_state_path}')
    # BasicSR's MultiStepRestartLR keeps its milestones in a Counter
    with torch.serialization.safe_globals([collections.Counter]):
        resume_state = torch.load(resume_state_path, map_location='cpu', weights_only=True)
    check_resume(opt, resume_state['iter'])
    return resume_state


def load_network(self, net, load_path, strict=True, param_key='params'):
    """Drop-in for ``BaseModel.load_network``: weights-only loading of BasicSR, Lightning
    (the authors' releases) and plain files, with a clear report of what did not match."""
    report = load_weights(self.get_bare_model(net), load_path, strict=strict, param_key=param_key)
    logger = get_root_logger()
    logger.info(f'Loading {type(self.get_bare_model(net)).__name__} model from {load_path} [{param_key}].')
    if report:
        logger.warning(report)


def get_optimizer(self, optim_type, params, lr, **kwargs):
    """Drop-in for ``BaseModel.get_optimizer``: any ``torch.optim`` optimizer by name
    (basicsr 1.4.2 knows only Adam; the PromptIR/AdaIR recipes use AdamW)."""
    optimizer_class = getattr(torch.optim, str(optim_type), None)
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer)):
        raise OptionError('train.optim_g.type', f'{optim_type!r} is not an optimizer in torch.optim.')
    return optimizer_class(params, lr, **kwargs)
