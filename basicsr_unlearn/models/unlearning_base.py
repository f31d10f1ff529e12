"""What every unlearning method shares: forget/retain batches, the frozen original
network, one forward and one backward per step, and BasicSR's logging/EMA."""
from collections import OrderedDict
from copy import deepcopy

import torch
import torch.distributed as dist

from basicsr.archs import build_network
from basicsr.losses import build_loss
from basicsr.models.sr_model import SRModel

from ..utils import OptionError


def build_loss_at(loss_opt, key):
    """``build_loss`` whose errors name the option key."""
    if not isinstance(loss_opt, dict) or 'type' not in loss_opt:
        raise OptionError(key, f'expected a loss block with a `type`, got {loss_opt!r}.')
    try:
        return build_loss(loss_opt)
    except (KeyError, TypeError, ValueError) as error:
        raise OptionError(key, str(error)) from error


def check_finite(loss_dict, current_iter):
    """Stop before an update that would write non-finite weights, naming the iteration and the term.

    One check of the sum per step (a sum is finite only if every term is); the terms are only
    looked at one by one to name the culprit."""
    if torch.isfinite(sum(value.detach() for value in loss_dict.values())).all():
        return
    for name, value in loss_dict.items():
        if not torch.isfinite(value.detach()).all():
            raise FloatingPointError(f'iteration {current_iter}: loss term {name} is {value.item()}; training '
                                     'stopped before the update (the weights saved so far are finite). Lower '
                                     'train.optim_g.lr, or check the data.')


class UnlearningModel(SRModel):
    """Base of the unlearning models (not registered itself).

    Training batches come from ``ForgetRetainPairedDataset``; validation batches
    from BasicSR's paired datasets, as for SRModel. ``pixel_opt`` is the retain
    restoration loss (its weight may be 0 for methods without retain descent).
    """

    def init_training_settings(self):
        super().init_training_settings()
        self.net_original = None
        self.forget_log = {}  # what the forget term reports beside the losses

    def original_network(self):
        """The frozen network before unlearning: ``path.pretrain_network_g_original``, else
        ``path.pretrain_network_g`` (loaded once)."""
        if self.net_original is None:
            path_opt = self.opt['path']
            load_path = path_opt.get('pretrain_network_g_original') or path_opt.get('pretrain_network_g')
            if load_path is None:
                raise OptionError('path.pretrain_network_g', 'this method needs the original model here.')
            net = build_network(deepcopy(self.opt['network_g'])).to(self.device)
            self.load_network(net, load_path, path_opt.get('strict_load_g', True),
                              path_opt.get('param_key_g', 'params'))
            net.eval()
            for p in net.parameters():
                p.requires_grad_(False)
            self.net_original = net
        return self.net_original

    def feed_data(self, data):
        if 'lq_forget' not in data:  # validation: BasicSR's paired datasets
            return super().feed_data(data)
        for key in ('lq_forget', 'gt_forget', 'lq_retain', 'gt_retain'):
            setattr(self, key, data[key].to(self.device))
        for key in ('lq_reference', 'gt_reference'):  # datasets.train.reference: unseen pairs
            setattr(self, key, data[key].to(self.device) if key in data else None)

    def forget_loss(self, pred):
        """``forget_opt`` on the forget outputs. A ``bound: reference`` AscentLoss also gets how
        well its ``reference_network`` (the frozen original or ``net_g``) restores this step's
        unseen reference pairs, averaged over processes so that every process holds its samples
        to the same bound."""
        if getattr(self.cri_forget, 'bound', None) != 'reference':
            return self.cri_forget(pred, self.gt_forget, lq=self.lq_forget)
        if self.lq_reference is None:
            raise OptionError('datasets.train.reference', 'is required by train.forget_opt bound: reference (unseen '
                              'pairs of the forget degradation, e.g. its val split).')
        with torch.no_grad():
            net = (self.original_network() if self.cri_forget.reference_network == 'original'
                   else self.get_bare_model(self.net_g))
            out = net(self.lq_reference)
            ratio = self.cri_forget.reference_ratio(out, self.gt_reference, self.lq_reference)
            if dist.is_available() and dist.is_initialized():
                dist.all_reduce(ratio)
                ratio /= dist.get_world_size()
        self.forget_log['reference_ratio'] = ratio
        return self.cri_forget(pred, self.gt_forget, lq=self.lq_forget, reference_ratio=ratio)

    def forward_batches(self, *inputs):
        """Run several batches through ``net_g`` in one forward pass (what DDP expects) and split."""
        if len({x.shape[1:] for x in inputs}) != 1:
            raise ValueError(f'forget and retain patches differ in shape {[tuple(x.shape) for x in inputs]}; '
                             'set datasets.train.gt_size.')
        return self.net_g(torch.cat(inputs)).split([x.size(0) for x in inputs])

    def step(self, loss_dict, current_iter, extra_log=None):
        """Backward on the sum of ``loss_dict``, optimizer step, BasicSR log and EMA."""
        l_total = sum(loss_dict.values())
        check_finite(dict(loss_dict, l_total=l_total), current_iter)
        l_total.backward()
        self.optimizer_g.step()
        loss_dict = OrderedDict(loss_dict)
        loss_dict['l_total'] = l_total.detach()
        loss_dict.update(self.forget_log)
        loss_dict.update(extra_log or {})
        self.log_dict = self.reduce_loss_dict(loss_dict)
        if self.ema_decay > 0:
            self.model_ema(decay=self.ema_decay)
