"""The forgetting term: gradient ascent on the restoration loss, stopped at a bound."""
import torch
from torch import nn

from basicsr.utils.registry import LOSS_REGISTRY

CRITERIA = {
    'l1': lambda diff, eps: diff.abs(),
    'l2': lambda diff, eps: diff.pow(2),
    'charbonnier': lambda diff, eps: torch.sqrt(diff.pow(2) + eps),
}
BOUNDS = ('input', 'reference', 'psnr', 'ceiling', 'none')
REFERENCE_NETWORKS = ('original', 'current')


@LOSS_REGISTRY.register()
class AscentLoss(nn.Module):
    """Negated restoration loss of the forget pairs, whose ascent stops at a bound.

    Unbounded ascent on a regression loss diverges and wrecks the network, so each
    sample's gradient is switched off once it reaches the bound, while the value
    stays the negated loss (what is logged). Per-sample gating makes the term the
    same whether a batch is split over processes or not.

    Bounds (``bound``):
        'input' (default): stop once the output is no better than the degraded
            input itself, ``L(out, gt) >= bound_scale * L(lq, gt)``: "no better than
            doing nothing", which is what a model that never saw the degradation
            does. Needs ``lq`` in ``forward``. Right when a whole task is forgotten.
        'reference': stop once the output is restored no better, relative to its input,
            than unseen images of the same degradation are:
            ``L(out, gt) >= bound_scale * r * L(lq, gt)`` with ``r`` the mean of
            ``L(out, gt) / L(lq, gt)`` over reference pairs (``reference_ratio``, passed to
            ``forward`` each step by the model). Right when some images are deleted and the
            task stays: a model retrained without them restores them like any unseen image.
            ``reference_network`` says whose outputs ``r`` is measured on: 'original' (default),
            the frozen network before unlearning, a fixed target; 'current', the network being
            unlearned, whose ``r`` rises as the ascent damages the task and so moves the bound
            with the damage.
        'psnr': stop once the output's PSNR (data range 1) drops to ``target_psnr``.
        'ceiling': stop once the per-sample loss reaches ``ceiling``.
        'none': never stop (plain NegGrad; diverges; for comparison only).

    The ascent follows ``criterion``; the bound may be measured with another one
    (``bound_criterion``): L1 ascent has useful gradients from the first step, while an
    L2 bound stops where the judge, PSNR, says "no better than the input". On sparse
    degradations (rain streaks) the two disagree: an output with the input's L1 error
    can still be dB better than the input in PSNR.

    Args:
        criterion (str): 'l1' | 'l2' | 'charbonnier'. Default: 'l1'.
        bound_criterion (str): criterion of the 'input' and 'ceiling' bounds. Default: ``criterion``.
        bound (str): see above. Default: 'input'.
        bound_scale (float): multiplier of the input's loss for 'input' and 'reference'. Default: 1.
        reference_network (str): 'original' | 'current', for 'reference' (read by the model).
        target_psnr (float): for 'psnr'.
        ceiling (float): for 'ceiling', in the criterion's units.
        loss_weight (float): Default: 1.
        reduction (str): 'mean' | 'sum' over samples, or 'none' (one value per sample).
        eps (float): Charbonnier epsilon. Default: 1e-12.
    """

    def __init__(self, criterion='l1', bound='input', bound_scale=1.0, target_psnr=None, ceiling=None,
                 loss_weight=1.0, reduction='mean', eps=1e-12, bound_criterion=None, reference_network='original'):
        super().__init__()
        bound_criterion = criterion if bound_criterion is None else bound_criterion
        for key, value in (('criterion', criterion), ('bound_criterion', bound_criterion)):
            if value not in CRITERIA:
                raise ValueError(f'AscentLoss {key}: expected one of {sorted(CRITERIA)}, got {value!r}.')
        if bound not in BOUNDS:
            raise ValueError(f'AscentLoss bound: expected one of {BOUNDS}, got {bound!r}.')
        if reference_network not in REFERENCE_NETWORKS:
            raise ValueError(f'AscentLoss reference_network: expected one of {REFERENCE_NETWORKS}, '
                             f'got {reference_network!r}.')
        if bound == 'psnr' and not isinstance(target_psnr, (int, float)):
            raise ValueError('AscentLoss target_psnr: a number (dB) is required with bound: psnr.')
        if bound == 'ceiling' and not isinstance(ceiling, (int, float)):
            raise ValueError('AscentLoss ceiling: a number is required with bound: ceiling.')
        if reduction not in ('mean', 'sum', 'none'):
            raise ValueError(f"AscentLoss reduction: expected 'mean', 'sum' or 'none', got {reduction!r}.")
        self.criterion, self.bound, self.bound_scale = criterion, bound, float(bound_scale)
        self.bound_criterion, self.reference_network = bound_criterion, reference_network
        self.target_psnr, self.ceiling = target_psnr, ceiling
        self.loss_weight, self.reduction, self.eps = float(loss_weight), reduction, float(eps)
        self.last_active = None  # fraction of samples still ascending, for logging

    def per_sample(self, pred, target, criterion=None):
        """Restoration loss of each sample, averaged over its pixels: shape (N,)."""
        return CRITERIA[criterion or self.criterion](pred - target, self.eps).flatten(1).mean(1)

    def reference_ratio(self, pred, target, lq):
        """How much of its input's error the network leaves on (unseen) pairs: the mean of
        ``L(out, gt) / L(lq, gt)`` under the bound's criterion, a 0-dim tensor."""
        with torch.no_grad():
            out_loss = self.per_sample(pred, target, self.bound_criterion)
            return (out_loss / self.per_sample(lq, target, self.bound_criterion).clamp_min(1e-12)).mean()

    def active(self, pred, target, lq=None, loss=None, reference_ratio=None):
        """Boolean (N,): which samples have not reached the bound yet."""
        with torch.no_grad():
            if loss is None or self.bound_criterion != self.criterion:
                loss = self.per_sample(pred, target, self.bound_criterion)
            loss = loss.detach()
            if self.bound in ('input', 'reference'):
                if lq is None:
                    raise ValueError(f"AscentLoss with bound '{self.bound}' needs the degraded input: "
                                     'forward(pred, gt, lq).')
                scale = self.bound_scale
                if self.bound == 'reference':
                    if reference_ratio is None:
                        raise ValueError("AscentLoss with bound 'reference' needs reference_ratio in forward (set "
                                         'datasets.train.reference: unseen pairs of the forget degradation).')
                    scale = scale * reference_ratio
                return loss < scale * self.per_sample(lq, target, self.bound_criterion)
            if self.bound == 'psnr':
                mse = (pred - target).pow(2).flatten(1).mean(1).clamp_min(1e-12)
                return -10 * torch.log10(mse) > self.target_psnr
            if self.bound == 'ceiling':
                return loss < self.ceiling
            return torch.ones_like(loss, dtype=torch.bool)

    def forward(self, pred, target, lq=None, reference_ratio=None, **kwargs):
        loss = self.per_sample(pred, target)
        active = self.active(pred, target, lq, loss, reference_ratio)
        self.last_active = active.float().mean()
        # samples at the bound keep their value but give no gradient
        ascent = -torch.where(active, loss, loss.detach())
        if self.reduction == 'mean':
            ascent = ascent.mean()
        elif self.reduction == 'sum':
            ascent = ascent.sum()
        return self.loss_weight * ascent
