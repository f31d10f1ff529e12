"""Distributed launch that works on CPU (gloo) and on GPUs (NCCL).

basicsr 1.4.2 assumes CUDA in its ``pytorch`` launcher: it divides the rank by
``torch.cuda.device_count()`` (zero on CPU), hard-wires NCCL and builds DDP with
CUDA ``device_ids``. These replacements keep its behaviour on GPUs and fall back
to gloo and plain CPU DDP otherwise, and whenever the option file says ``num_gpu: 0``
(a CPU model on a GPU host).
"""
import argparse
import os
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DataParallel, DistributedDataParallel

from basicsr.utils import dist_util

from ..utils.options import load_option_file

_original_init_dist = dist_util.init_dist
BACKEND_ENV = 'BASICSR_UNLEARN_DIST_BACKEND'


def choose_backend(requested='nccl', num_gpu=None):
    """NCCL when the run is on GPUs (``num_gpu`` not 0) and CUDA is usable, gloo otherwise;
    ``$BASICSR_UNLEARN_DIST_BACKEND`` overrides both."""
    forced = os.environ.get(BACKEND_ENV)
    if forced:
        return forced
    if requested == 'nccl' and (num_gpu == 0 or not torch.cuda.is_available()):
        return 'gloo'
    return requested


def option_num_gpu(argv=None):
    """``num_gpu`` of the ``-opt`` file in ``argv`` (default ``sys.argv``), or None without one:
    BasicSR hands ``init_dist`` only the launcher, while it parses that same command line."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument('-opt')
    path = parser.parse_known_args(sys.argv[1:] if argv is None else argv)[0].opt
    return None if path is None else load_option_file(path).get('num_gpu')


def init_dist(launcher, backend='nccl', **kwargs):
    """Drop-in for ``basicsr.utils.dist_util.init_dist``."""
    backend = choose_backend(backend, option_num_gpu())
    if launcher == 'slurm':
        if backend != 'nccl':
            raise RuntimeError('--launcher slurm needs CUDA GPUs with basicsr 1.4.2; on CPU use '
                               '`torchrun --nproc_per_node=N ... --launcher pytorch`.')
        return _original_init_dist(launcher, backend=backend, **kwargs)
    if launcher != 'pytorch':
        raise ValueError(f'--launcher {launcher}: expected one of none, pytorch, slurm.')
    if mp.get_start_method(allow_none=True) is None:
        mp.set_start_method('spawn')
    if backend == 'nccl':
        # LOCAL_RANK is the GPU of this process on its node (correct on several nodes too)
        local_rank = int(os.environ.get('LOCAL_RANK', int(os.environ['RANK']) % torch.cuda.device_count()))
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend, **kwargs)
    if dist.get_rank() == 0:  # BasicSR's logger does not exist yet
        print(f'Distributed: backend {backend}, world size {dist.get_world_size()}.', flush=True)


def model_to_device(self, net):
    """Drop-in for ``BaseModel.model_to_device``: DDP without CUDA ``device_ids`` on CPU."""
    net = net.to(self.device)
    if self.opt['dist']:
        find_unused_parameters = self.opt.get('find_unused_parameters', False)
        device_ids = [torch.cuda.current_device()] if self.device.type == 'cuda' else None
        net = DistributedDataParallel(net, device_ids=device_ids, find_unused_parameters=find_unused_parameters)
    elif self.opt['num_gpu'] > 1:
        net = DataParallel(net)
    return net
