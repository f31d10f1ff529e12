"""The seed paper's method (arXiv 2409.00685): bounded ascent on the forget pairs, descent on the
retain pairs and on adversarial (PGD) versions of them; with distillation to the original, ours.

The class is named after the paper's PGD term, which it implements, but whether to use it is an
option: the shipped files leave it off (docs/Defaults.md: on real data it changed the val Avg. Gap by
less than the seed spread, and noise keeps both real retained tasks only without it and with
distillation); the paper's recipe (``methods.yml``: paper) runs it as published."""
from collections import OrderedDict

import torch

from basicsr.utils import get_root_logger
from basicsr.utils.registry import MODEL_REGISTRY

from ..utils import OptionError
from .pgd_attack import NORMS, pgd_perturb
from .unlearning_base import UnlearningModel, build_loss_at


@MODEL_REGISTRY.register()
class AdversarialRetainModel(UnlearningModel):
    """Instance-wise unlearning with an adversarial retain term.

    Each step minimises, in one forward and one backward pass::

        forget_opt(net(lq_forget), gt_forget, lq_forget)      # AscentLoss: bounded ascent
      + pixel_opt(net(lq_retain), gt_retain)                  # keep the retained tasks
      + w_adv * pixel(net(pgd(lq_retain)), gt_retain)         # ... robustly
      + distill_opt(net(lq_retain), original(lq_retain))      # optional
      + clean_opt(net(gt_forget), original(gt_forget))        # optional
      + anchor_opt.loss_weight * ||theta - theta_original||^2  # optional

    Train option keys beyond SRModel's: ``forget_opt`` (required), ``adversarial_opt``
    (``loss_weight``, ``norm`` linf|l2, ``eps``, ``step_size``, ``steps``,
    ``random_start``), ``distill_opt``, ``clean_opt`` and ``anchor_opt`` (``loss_weight``).
    ``clean_opt`` keeps the original's behaviour on the forget images' clean content: what is
    forgotten is the degradation's removal, not what the network does to those scenes.
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
        self.cri_clean = None
        if train_opt.get('clean_opt') is not None:
            self.cri_clean = build_loss_at(train_opt['clean_opt'], 'train.clean_opt').to(self.device)
        self.anchor_weight = float((train_opt.get('anchor_opt') or {}).get('loss_weight', 0))
        if self.cri_distill is not None or self.anchor_weight > 0:
            self.original_params = [p.detach() for p in self.original_network().parameters()]

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

    def unlearning_step(self, current_iter):
        self.optimizer_g.zero_grad()
        inputs = [self.lq_forget, self.lq_retain]
        if self.adv is not None:  # the attack sees the bare network: no DDP forward, no weight gradients
            # the attack ascends the adversarial term's own loss (its weight is > 0), so a retain descent
            # weight of 0 in pixel_opt does not leave it without a gradient
            inputs.append(pgd_perturb(self.get_bare_model(self.net_g), self.lq_retain, self.gt_retain, self.cri_adv,
                                      **self.adv))
        if self.cri_clean is not None:
            inputs.append(self.gt_forget)
        outputs = self.forward_batches(*inputs)

        loss_dict = OrderedDict()
        loss_dict['l_forget'] = self.forget_loss(outputs[0])
        loss_dict['l_retain'] = self.cri_pix(outputs[1], self.gt_retain)
        if self.adv is not None:
            loss_dict['l_adv'] = self.cri_adv(outputs[2], self.gt_retain)
        if self.cri_distill is not None:
            with torch.no_grad():
                teacher = self.net_original(self.lq_retain)
            loss_dict['l_distill'] = self.cri_distill(outputs[1], teacher)
        if self.cri_clean is not None:
            with torch.no_grad():
                teacher = self.original_network()(self.gt_forget)
            loss_dict['l_clean'] = self.cri_clean(outputs[-1], teacher)
        if self.anchor_weight > 0:
            params = self.get_bare_model(self.net_g).parameters()
            drift = sum((p - p0).pow(2).sum() for p, p0 in zip(params, self.original_params))
            loss_dict['l_anchor'] = self.anchor_weight * drift
        active = getattr(self.cri_forget, 'last_active', None)
        self.step(loss_dict, current_iter, {'forget_active': active} if active is not None else None)
