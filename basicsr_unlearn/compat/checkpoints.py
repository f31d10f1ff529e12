"""BasicSR's checkpoints, written whole and read back safely.

* ``load_pretrained_network`` (``BaseModel.load_network``): ``path.pretrain_network_g`` may be a
  BasicSR, Lightning or plain weight file, loaded weights-only, with a report of what did not match.

* ``save_network``/``save_training_state`` write the same files as basicsr 1.4.2, but to a
  temporary name renamed into place: a kill while saving leaves the previous checkpoints
  intact instead of a truncated latest one.
* ``load_resume_state`` loads resume states on the CPU with ``weights_only=True`` (basicsr
  1.4.2 loads them onto CUDA); with ``--auto_resume`` a latest state that cannot be read, or
  whose network file is missing, is reported by name and the previous one is used.
* The resumed epoch continues after the batches it had already used (``sampler.resume_at``):
  basicsr 1.4.2 restarts it from its first batch, so a mid-epoch resume replayed data.
"""
import collections
import os
import sys
from os import path as osp

import torch

from basicsr.utils import get_root_logger, scandir
from basicsr.utils.misc import check_resume

from ..utils import OptionError, UserError
from ..utils.checkpoint import load_weights
from ..utils.files import torch_save_atomic
from . import sampler


def project_root(root_path):
    """Where experiments/, results/ and tb_logger/ go: the cwd when basicsr is an installed package."""
    if osp.basename(osp.normpath(root_path)) in ('site-packages', 'dist-packages'):
        return os.getcwd()
    return root_path


def read_resume_state(path):
    """A resume state, loaded weights-only on the CPU; errors name the file."""
    try:
        with torch.serialization.safe_globals([collections.Counter]):  # MultiStepRestartLR's milestones
            state = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # truncated zips and refused pickles come in many types
        raise UserError(f'resume state {path} cannot be read as a weights-only file ({error}).') from error
    if not isinstance(state, dict) or not {'epoch', 'iter', 'optimizers', 'schedulers'} <= set(state):
        raise UserError(f'resume state {path} is not a BasicSR training state (epoch, iter, optimizers, schedulers).')
    return state


def latest_readable_state(opt):
    """(path, state) of the newest training state that loads and has its network file; states
    that fail are reported on stderr by name, newest first."""
    state_dir = opt['path']['training_states']
    if not osp.isdir(state_dir):
        return None, None
    iters = sorted((int(name.split('.state')[0]) for name in scandir(state_dir, suffix='state')
                    if name.split('.state')[0].isdigit()), reverse=True)
    for position, current in enumerate(iters):
        path = osp.join(state_dir, f'{current}.state')
        network = osp.join(opt['path']['models'], f'net_g_{current}.pth')
        try:
            if not osp.isfile(network):
                raise UserError(f'resume state {path} has no network file {network}.')
            return path, read_resume_state(path)
        except UserError as error:
            fallback = f'falling back to {iters[position + 1]}.state' if position + 1 < len(iters) else \
                'no earlier state: starting from the beginning'
            print(f'basicsr_unlearn: {error} Skipping it, {fallback}.', file=sys.stderr, flush=True)
    return None, None


def load_resume_state(opt):
    """Drop-in for ``basicsr.train.load_resume_state``."""
    opt['root_path'] = project_root(opt['root_path'])  # BasicSR's script resets it after parsing
    opt['path'].setdefault('pretrain_network_g_original', opt['path'].get('pretrain_network_g'))
    if opt['auto_resume']:
        path, state = latest_readable_state(opt)
        if path is None:
            return None
        opt['path']['resume_state'] = path
    else:
        path = opt['path'].get('resume_state')
        if not path:
            return None
        if not osp.isfile(path):
            raise OptionError('path.resume_state', f'file not found: {path}')
        state = read_resume_state(path)
    check_resume(opt, state['iter'])
    sampler.resume_at(state['epoch'], state['iter'], loader_batch_size(opt))
    return state


def loader_batch_size(opt):
    """The batch size of one process's training loader, as basicsr's build_dataloader sets it."""
    batch = opt['datasets']['train']['batch_size_per_gpu']
    return batch if opt['dist'] or opt['num_gpu'] == 0 else batch * opt['num_gpu']


def save_network(self, net, net_label, current_iter, param_key='params'):
    """Drop-in for ``BaseModel.save_network``: the same file, written whole."""
    nets = net if isinstance(net, list) else [net]
    keys = param_key if isinstance(param_key, list) else [param_key]
    if len(nets) != len(keys):
        raise ValueError('save_network: one param_key per network is needed.')
    save_dict = {}
    for net_, key in zip(nets, keys):
        state = self.get_bare_model(net_).state_dict()
        save_dict[key] = {(k[7:] if k.startswith('module.') else k): v.cpu() for k, v in state.items()}
    label = 'latest' if current_iter == -1 else current_iter
    _save(save_dict, osp.join(self.opt['path']['models'], f'{net_label}_{label}.pth'))


def save_training_state(self, epoch, current_iter):
    """Drop-in for ``BaseModel.save_training_state``: the same file, written whole."""
    if current_iter == -1:
        return
    state = {'epoch': epoch, 'iter': current_iter, 'optimizers': [o.state_dict() for o in self.optimizers],
             'schedulers': [s.state_dict() for s in self.schedulers]}
    _save(state, osp.join(self.opt['path']['training_states'], f'{current_iter}.state'))


def _save(obj, path):
    try:
        torch_save_atomic(obj, path)
    except OSError as error:  # as basicsr 1.4.2: a checkpoint that cannot be written does not stop training
        get_root_logger().warning(f'Cannot save {path} ({error}); the previous checkpoints are intact.')


def load_pretrained_network(self, net, load_path, strict=True, param_key='params'):
    """Drop-in for ``BaseModel.load_network``: weights-only loading of BasicSR, Lightning
    (the authors' releases) and plain files, with a clear report of what did not match."""
    report = load_weights(self.get_bare_model(net), load_path, strict=strict, param_key=param_key,
                          hint='Set path.strict_load_g: false in the option file to load only what matches.')
    logger = get_root_logger()
    logger.info(f'Loading {type(self.get_bare_model(net)).__name__} model from {load_path} [{param_key}].')
    if report:
        logger.warning(report)
