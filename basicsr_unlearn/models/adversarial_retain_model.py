"""Unlearning one degradation: bounded ascent on the forget pairs, descent on the retain
pairs and on adversarial (PGD) versions of them."""
from collections import OrderedDict
from copy import deepcopy

import torch

from basicsr.archs import build_network
from basicsr.losses import build_loss
from basicsr.models.sr_model import SRModel
from basicsr.utils import get_root_logger
from basicsr.utils.registry import MODEL_REGISTRY

from ..utils import OptionError
from .pgd_attack import NORMS, pgd_perturb


def build_loss_at(loss_opt, key):
    """``build_loss`` whose errors name the option key."""
    if not isinstance(loss_opt, dict) or 'type' not in loss_opt:
        raise OptionError(key, f'expected a loss block with a `type`, got {loss_opt!r}.')
    try:
        return build_loss(loss_opt)
    except (KeyError, TypeError, ValueError) as error:
        raise OptionError(key, str(error)) from error


@MODEL_REGISTRY.register()
class AdversarialRetainModel(SRModel):
    """Instance-wise unlearning with an adversarial retain term (arXiv 2409.00685).

    Each step minimises, in one forward and one backward pass::

        forget_opt(net(lq_forget), gt_forget, lq_forget)      # AscentLoss: bounded ascent
      + pixel_opt(net(lq_retain), gt_retain)                  # keep the retained tasks
      + w_adv * pixel(net(pgd(lq_retain)), gt_retain)         # ... robustly
      + distill_opt(net(lq_retain), original(lq_retain))      # optional
      + anchor_opt.loss_weight * ||theta - theta_original||^2  # optional

    Train option keys beyond SRModel's: ``forget_opt`` (required), ``adversarial_opt``
    (``loss_weight``, ``norm`` linf|l2, ``eps``, ``step_size``, ``steps``,
    ``random_start``), ``distill_opt`` and ``anchor_opt`` (``loss_weight``). The
    original network is ``path.pretrain_network_g_original`` or else ``path.pretrain_network_g``.
    Batches come from ``ForgetRetainPairedDataset``; validation takes BasicSR's
    paired datasets as SRModel does.
    """

    def init_training_settings(self):
        super().init_training_settings()
        train_opt = self.opt['train']
        if train_opt.get('forget_opt') is None:
            raise OptionError('train.forget_opt', 'is required, e.g. {type: AscentLoss, bound: input}.')
        self.cri_forget = build_loss_at(train_opt['forget_opt'], 'train.forget_opt').to(self.device)
        if self.cri_pix is None:
            raise OptionError('train.pixel_opt', 'is required: the restoration loss of the retain pairs.')
        self._setup_adversarial(train_opt.get('adversarial_opt'))
        self.cri_distill = None
        if train_opt.get('distill_opt') is not None:
            self.cri_distill = build_loss_at(train_opt['distill_opt'], 'train.distill_opt').to(self.device)
        self.anchor_weight = float((train_opt.get('anchor_opt') or {}).get('loss_weight', 0))
        self.net_original = None
        if self.cri_distill is not None or self.anchor_weight > 0:
            self.net_original = self._load_original()
            self.original_params = [p.detach() for p in self.net_original.parameters()]

    def _setup_adversarial(self, adv_opt):
        self.adv = None
        if adv_opt is None or float(adv_opt.get('loss_weight', 1.0)) == 0:
            return
        adv = dict(adv_opt)
        weight = float(adv.pop('loss_weight', 1.0))
        norm = adv.pop('norm', 'linf')
        if norm not in NORMS:
            raise OptionError('train.adversarial_opt.norm', f'expected one of {NORMS}, got {norm!r}.')
        eps = float(adv.pop('eps', 4 / 255))
        steps = int(adv.pop('steps', 1))
        if eps <= 0 or steps < 1:
            raise OptionError('train.adversarial_opt', f'needs eps > 0 and steps >= 1, got eps={eps}, steps={steps}.')
        step_size = adv.pop('step_size', None)
        step_size = float(step_size) if step_size is not None else (eps if steps == 1 else 2.5 * eps / steps)
        random_start = bool(adv.pop('random_start', False))
        if adv:
            raise OptionError('train.adversarial_opt', f'unknown keys {sorted(adv)}; expected loss_weight, norm, '
                              'eps, step_size, steps, random_start.')
        pixel_opt = dict(self.opt['train']['pixel_opt'], loss_weight=weight)
        self.cri_adv = build_loss_at(pixel_opt, 'train.pixel_opt').to(self.device)
        self.adv = dict(norm=norm, eps=eps, step_size=step_size, steps=steps, random_start=random_start)
        get_root_logger().info(f'Adversarial retain term: weight {weight}, {self.adv}')

    def _load_original(self):
        path_opt = self.opt['path']
        load_path = path_opt.get('pretrain_network_g_original') or path_opt.get('pretrain_network_g')
        if load_path is None:
            raise OptionError('path.pretrain_network_g', 'distill_opt/anchor_opt need the original model here.')
        net = build_network(deepcopy(self.opt['network_g'])).to(self.device)
        self.load_network(net, load_path, path_opt.get('strict_load_g', True), path_opt.get('param_key_g', 'params'))
        net.eval()
        for p in net.parameters():
            p.requires_grad_(False)
        return net

    def get_optimizer(self, optim_type, params, lr, **kwargs):
        """Any ``torch.optim`` optimizer by name (BasicSR 1.4.2 knows only Adam)."""
        optimizer_class = getattr(torch.optim, optim_type, None)
        if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer)):
            raise OptionError('train.optim_g.type', f'{optim_type!r} is not an optimizer in torch.optim.')
        return optimizer_class(params, lr, **kwargs)

    def feed_data(self, data):
        if 'lq_forget' not in data:  # validation: BasicSR's paired datasets
            return super().feed_data(data)
        for key in ('lq_forget', 'gt_forget', 'lq_retain', 'gt_retain'):
            setattr(self, key, data[key].to(self.device))

    def optimize_parameters(self, current_iter):
        self.optimizer_g.zero_grad()
        inputs = [self.lq_forget, self.lq_retain]
        if self.adv is not None:
            net = self.get_bare_model(self.net_g)
            inputs.append(pgd_perturb(net, self.lq_retain, self.gt_retain, self.cri_pix, **self.adv))
        if len({x.shape[1:] for x in inputs}) != 1:
            raise ValueError(f'forget and retain patches differ in shape {[tuple(x.shape) for x in inputs]}; '
                             'set datasets.train.gt_size.')
        # one forward and one backward per step: what DDP expects
        outputs = self.net_g(torch.cat(inputs)).split([x.size(0) for x in inputs])

        loss_dict = OrderedDict()
        loss_dict['l_forget'] = self.cri_forget(outputs[0], self.gt_forget, lq=self.lq_forget)
        loss_dict['l_retain'] = self.cri_pix(outputs[1], self.gt_retain)
        if self.adv is not None:
            loss_dict['l_adv'] = self.cri_adv(outputs[2], self.gt_retain)
        if self.cri_distill is not None:
            with torch.no_grad():
                teacher = self.net_original(self.lq_retain)
            loss_dict['l_distill'] = self.cri_distill(outputs[1], teacher)
        if self.anchor_weight > 0:
            params = self.get_bare_model(self.net_g).parameters()
            drift = sum((p - p0).pow(2).sum() for p, p0 in zip(params, self.original_params))
            loss_dict['l_anchor'] = self.anchor_weight * drift
        l_total = sum(loss_dict.values())
        l_total.backward()
        self.optimizer_g.step()

        loss_dict['l_total'] = l_total.detach()
        if getattr(self.cri_forget, 'last_active', None) is not None:
            loss_dict['forget_active'] = self.cri_forget.last_active
        self.log_dict = self.reduce_loss_dict(loss_dict)
        if self.ema_decay > 0:
            self.model_ema(decay=self.ema_decay)
