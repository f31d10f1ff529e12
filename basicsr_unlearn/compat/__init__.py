"""Make basicsr 1.4.2 work with today's torch/torchvision, on CPU and from site-packages.

Nothing on disk is edited: ``apply()`` replaces a few functions in the imported
basicsr modules (the torchvision alias lives in ``basicsr_unlearn_startup``).
"""
import basicsr
import basicsr.test
import basicsr.train
from basicsr.data.data_sampler import EnlargedSampler
from basicsr.models.base_model import BaseModel
from basicsr.utils import dist_util
from basicsr.utils import options as basicsr_options

from . import checkpoints, launcher, optimizers, option_parsing, sampler

_applied = False


def apply():
    """Install the replacements (idempotent)."""
    global _applied
    if _applied:
        return
    dist_util.init_dist = launcher.init_dist
    basicsr_options.init_dist = launcher.init_dist
    BaseModel.model_to_device = launcher.model_to_device
    BaseModel.load_network = checkpoints.load_pretrained_network
    BaseModel.get_optimizer = optimizers.get_optimizer
    basicsr_options.ordered_yaml = option_parsing.ordered_yaml
    for module in (basicsr_options, basicsr.train, basicsr.test):
        module.parse_options = option_parsing.parse_options
    basicsr.train.load_resume_state = checkpoints.load_resume_state
    BaseModel.save_network = checkpoints.save_network
    BaseModel.save_training_state = checkpoints.save_training_state
    EnlargedSampler.set_epoch = sampler.set_epoch
    EnlargedSampler.__iter__ = sampler.sampler_iter
    _applied = True
