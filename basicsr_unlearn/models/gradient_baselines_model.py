"""The plain gradient baselines of the unlearning literature, as BasicSR models:
NegGrad (ascent on the forget pairs), NegGrad+ (plus descent on the retain pairs)
and fine-tuning on the retain pairs only."""
from collections import OrderedDict

from basicsr.utils.registry import MODEL_REGISTRY

from ..utils import OptionError
from .unlearning_base import UnlearningModel, build_loss_at


class _GradientBaseline(UnlearningModel):
    uses_forget = True
    uses_retain = True

    def init_training_settings(self):
        super().init_training_settings()
        forget_opt = self.opt['train'].get('forget_opt')
        if self.uses_forget:
            if forget_opt is None:
                raise OptionError('train.forget_opt', 'is required, e.g. {type: AscentLoss, bound: none}.')
            self.cri_forget = build_loss_at(forget_opt, 'train.forget_opt').to(self.device)

    def unlearning_step(self, current_iter):
        self.optimizer_g.zero_grad()
        inputs = ([self.lq_forget] if self.uses_forget else []) + ([self.lq_retain] if self.uses_retain else [])
        outputs = list(self.forward_batches(*inputs))
        loss_dict = OrderedDict()
        if self.uses_forget:
            loss_dict['l_forget'] = self.forget_loss(outputs.pop(0))
        if self.uses_retain:
            loss_dict['l_retain'] = self.cri_pix(outputs.pop(0), self.gt_retain)
        self.step(loss_dict, current_iter)


@MODEL_REGISTRY.register()
class NegGradModel(_GradientBaseline):
    """Gradient ascent on the forget pairs only (``forget_opt``, usually AscentLoss with bound: none)."""
    uses_retain = False


@MODEL_REGISTRY.register()
class NegGradPlusModel(_GradientBaseline):
    """NegGrad+: ascent on the forget pairs (``forget_opt``) plus descent on the retain pairs (``pixel_opt``)."""


@MODEL_REGISTRY.register()
class RetainFinetuneModel(_GradientBaseline):
    """Fine-tuning on the retain pairs only: forgetting by catastrophic forgetting."""
    uses_forget = False
