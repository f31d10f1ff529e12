"""SCRUB (Kurmanji et al., NeurIPS 2023) for restoration: the student (the network being
unlearned) moves away from the teacher (the original) on forget inputs in "max" steps,
and stays close to it, and to the ground truth, on retain inputs in "min" steps."""
from collections import OrderedDict

import torch

from basicsr.utils.registry import MODEL_REGISTRY

from ..utils import OptionError
from .unlearning_base import UnlearningModel, check_finite

DISTANCES = {'l1': lambda a, b: (a - b).abs().mean(), 'l2': lambda a, b: (a - b).pow(2).mean()}


@MODEL_REGISTRY.register()
class SCRUBModel(UnlearningModel):
    """Option block ``train.scrub_opt``:

    max_steps (int): iterations that begin with a max step (SCRUB's ``msteps``); after
        them only min steps are taken. Default: half of ``total_iter``.
    forget_weight (float): weight of the max step's distance. Default: 1.
    alpha (float): weight of the min step's distance to the teacher. Default: 1.
    gamma (float): weight of the min step's restoration loss (``pixel_opt``). Default: 1.
    distance (str): 'l1' or 'l2' between student and teacher outputs (the regression
        counterpart of SCRUB's KL divergence). Default: 'l1'.
    """

    def init_training_settings(self):
        super().init_training_settings()
        scrub = dict(self.opt['train'].get('scrub_opt') or {})
        self.max_steps = int(scrub.pop('max_steps', int(self.opt['train']['total_iter']) // 2))
        self.forget_weight = float(scrub.pop('forget_weight', 1.0))
        self.alpha = float(scrub.pop('alpha', 1.0))
        self.gamma = float(scrub.pop('gamma', 1.0))
        distance = scrub.pop('distance', 'l1')
        if distance not in DISTANCES or scrub:
            raise OptionError('train.scrub_opt', f'expected max_steps, forget_weight, alpha, gamma and distance '
                              f'(l1|l2); got distance={distance!r}, other keys {sorted(scrub)}.')
        self.distance = DISTANCES[distance]
        self.original_network()

    def unlearning_step(self, current_iter):
        log = OrderedDict()
        if current_iter <= self.max_steps:  # max step: away from the teacher on the forget inputs
            self.optimizer_g.zero_grad()
            with torch.no_grad():
                teacher = self.net_original(self.lq_forget)
            l_max = -self.forget_weight * self.distance(self.net_g(self.lq_forget), teacher)
            check_finite({'l_max': l_max}, current_iter)
            l_max.backward()
            self.mask_gradients()
            self.optimizer_g.step()
            log['l_max'] = l_max.detach()
        self.optimizer_g.zero_grad()  # min step: close to the teacher and the ground truth on retain inputs
        with torch.no_grad():
            teacher = self.net_original(self.lq_retain)
        output = self.net_g(self.lq_retain)
        loss_dict = OrderedDict(l_min_distill=self.alpha * self.distance(output, teacher),
                                l_min_retain=self.gamma * self.cri_pix(output, self.gt_retain))
        self.step(loss_dict, current_iter, log)
