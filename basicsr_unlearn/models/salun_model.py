"""SalUn (Fan et al., ICLR 2024) for restoration: only the weights most salient for the
forget loss are updated, with the forget pairs relabelled and the retain pairs kept."""
from collections import OrderedDict

import torch

from basicsr.utils import get_root_logger
from basicsr.utils.registry import MODEL_REGISTRY

from ..utils import OptionError
from .unlearning_base import UnlearningModel, check_finite

TARGETS = ('input', 'gt')


@MODEL_REGISTRY.register()
class SalUnModel(UnlearningModel):
    """Option block ``train.salun_opt``:

    mask_ratio (float): share of the weights that may change, those with the largest
        forget-loss gradient magnitude (SalUn's default 0.5).
    saliency_batches (int): forget batches whose gradients make the saliency map, in the
        first iterations (no update happens in them; they count in the budget). Default: 8.
    forget_target (str): 'input' (default) relabels each forget pair to its own degraded
        input, the restoration counterpart of SalUn's random labels ("do not restore
        this"); 'gt' with a negative ``forget_weight`` is NegGrad+ on the salient weights.
    forget_weight (float): Default: 1.
    The retain pairs are trained with ``pixel_opt``.
    """

    def init_training_settings(self):
        super().init_training_settings()
        salun = dict(self.opt['train'].get('salun_opt') or {})
        self.mask_ratio = float(salun.pop('mask_ratio', 0.5))
        self.saliency_batches = int(salun.pop('saliency_batches', 8))
        self.forget_target = salun.pop('forget_target', 'input')
        self.forget_weight = float(salun.pop('forget_weight', 1.0))
        if self.forget_target not in TARGETS or not 0 < self.mask_ratio <= 1 or salun:
            raise OptionError('train.salun_opt', f'expected mask_ratio in (0, 1], saliency_batches, forget_target '
                              f'({"|".join(TARGETS)}) and forget_weight; other keys {sorted(salun)}.')
        self.params = [p for p in self.get_bare_model(self.net_g).parameters() if p.requires_grad]
        self.saliency = [torch.zeros_like(p) for p in self.params]
        self.masks = None
        self.seen = 0

    def _accumulate_saliency(self):
        self.optimizer_g.zero_grad()
        self.cri_pix(self.net_g(self.lq_forget), self.gt_forget).backward()
        for total, p in zip(self.saliency, self.params):
            total += p.grad.abs()
        self.seen += 1
        if self.seen == self.saliency_batches:
            flat = torch.cat([s.flatten() for s in self.saliency])
            keep = max(1, int(self.mask_ratio * flat.numel()))
            threshold = flat.kthvalue(flat.numel() - keep + 1).values
            self.masks = [(s >= threshold).float() for s in self.saliency]
            get_root_logger().info(f'SalUn: {keep} of {flat.numel()} weights are salient and may change.')
        self.optimizer_g.zero_grad()

    def unlearning_step(self, current_iter):
        if self.masks is None:
            self._accumulate_saliency()
            self.log_dict = OrderedDict(saliency_batches=float(self.seen))
            return
        self.optimizer_g.zero_grad()
        out_forget, out_retain = self.forward_batches(self.lq_forget, self.lq_retain)
        target = self.lq_forget if self.forget_target == 'input' else self.gt_forget
        loss_dict = OrderedDict(l_forget=self.forget_weight * self.cri_pix(out_forget, target),
                                l_retain=self.cri_pix(out_retain, self.gt_retain))
        l_total = sum(loss_dict.values())
        check_finite(dict(loss_dict, l_total=l_total), current_iter)
        l_total.backward()
        for p, mask in zip(self.params, self.masks):
            p.grad.mul_(mask)
        self.optimizer_g.step()
        loss_dict['l_total'] = l_total.detach()
        self.log_dict = self.reduce_loss_dict(loss_dict)
        if self.ema_decay > 0:
            self.model_ema(decay=self.ema_decay)
