"""SalUn (Fan et al., ICLR 2024) for restoration: only the weights most salient for the
forget loss are updated, with the forget pairs relabelled and the retain pairs kept."""
from collections import OrderedDict

from basicsr.utils.registry import MODEL_REGISTRY

from ..utils import OptionError
from .gradient_masks import SaliencyMap
from .unlearning_base import UnlearningModel

TARGETS = ('input', 'gt')


@MODEL_REGISTRY.register()
class SalUnModel(UnlearningModel):
    """Option block ``train.salun_opt``:

    mask_ratio (float): share of the weights that may change, those with the largest
        forget-loss gradient magnitude (SalUn's default 0.5).
    saliency_batches (int): forget batches whose gradients make the saliency map, in the
        first iterations (no update happens in them; they count in the budget). Default: 8.
        (The map is ``gradient_masks.SaliencyMap``, which every method can use via ``saliency_opt``.)
    forget_target (str): 'input' (default) relabels each forget pair to its own degraded
        input, the restoration counterpart of SalUn's random labels ("do not restore
        this"); 'gt' with a negative ``forget_weight`` is NegGrad+ on the salient weights.
    forget_weight (float): Default: 1.
    The retain pairs are trained with ``pixel_opt``.
    """

    def init_training_settings(self):
        super().init_training_settings()
        salun = dict(self.opt['train'].get('salun_opt') or {})
        self.forget_target = salun.pop('forget_target', 'input')
        self.forget_weight = float(salun.pop('forget_weight', 1.0))
        if self.saliency is not None:
            raise OptionError('train.saliency_opt', 'SalUnModel makes its map from train.salun_opt; drop this block.')
        self.saliency = SaliencyMap.from_options(self.mask_params, salun, 'train.salun_opt')
        if self.forget_target not in TARGETS or salun:
            raise OptionError('train.salun_opt', f'expected mask_ratio in (0, 1], saliency_batches, forget_target '
                              f'({"|".join(TARGETS)}) and forget_weight; other keys {sorted(salun)}.')

    def unlearning_step(self, current_iter):
        self.optimizer_g.zero_grad()
        out_forget, out_retain = self.forward_batches(self.lq_forget, self.lq_retain)
        target = self.lq_forget if self.forget_target == 'input' else self.gt_forget
        loss_dict = OrderedDict(l_forget=self.forget_weight * self.cri_pix(out_forget, target),
                                l_retain=self.cri_pix(out_retain, self.gt_retain))
        self.step(loss_dict, current_iter)  # the saliency mask is applied there
