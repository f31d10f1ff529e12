"""Which weights an unlearning run may change: a mask on the gradients, applied before each update.

With Adam and no weight decay, a weight whose gradient is masked from the first update on never
moves (its moments stay 0), so a mask keeps the untouched part of the network exactly the
original's. Masks act on gradients rather than ``requires_grad`` so that they work under DDP.
"""
import re

import torch

from ..utils import OptionError


def masks_by_name(named_parameters, patterns, key):
    """One 0/1 mask per parameter: 1 where its name matches any of the regular expressions
    ``patterns`` (``re.search``), e.g. ``[prompt]`` for PromptIR's prompt blocks."""
    if isinstance(patterns, str):
        patterns = [patterns]
    if not patterns or not all(isinstance(p, str) for p in patterns):
        raise OptionError(key, f'expected a list of parameter-name patterns, got {patterns!r}.')
    named = list(named_parameters)
    keep = [any(re.search(p, name) for p in patterns) for name, _ in named]
    if not any(keep):
        raise OptionError(key, f'{patterns} matches no parameter of the network (e.g. {named[0][0]!r}).')
    return [torch.full_like(param, float(k)) for k, (_, param) in zip(keep, named)]


class SaliencyMap:
    """SalUn's saliency (Fan et al., ICLR 2024): the ``ratio`` share of the weights with the largest
    forget-loss gradient magnitude, summed over ``batches`` forget batches, may change."""

    @classmethod
    def from_options(cls, params, block, key):
        """The map an option block asks for: pops ``mask_ratio`` (default 0.5, SalUn's) and
        ``saliency_batches`` (default 8) from ``block``, a dict, leaving its other keys."""
        return cls(params, block.pop('mask_ratio', 0.5), block.pop('saliency_batches', 8), key)

    def __init__(self, params, ratio, batches, key):
        if not 0 < float(ratio) <= 1 or int(batches) < 1:
            raise OptionError(key, f'expected mask_ratio in (0, 1] and saliency_batches >= 1, got {ratio}, {batches}.')
        self.params, self.ratio, self.batches = list(params), float(ratio), int(batches)
        self.totals = [torch.zeros_like(p) for p in self.params]
        self.seen = 0
        self.masks = None

    def add_gradients(self):
        """Add the current gradients' magnitudes; after ``batches`` calls the masks are made.
        Returns how many weights may change once they are, else None."""
        for total, p in zip(self.totals, self.params):
            if p.grad is not None:
                total += p.grad.abs()
        self.seen += 1
        if self.seen < self.batches:
            return None
        flat = torch.cat([t.flatten() for t in self.totals])
        keep = max(1, int(self.ratio * flat.numel()))
        threshold = flat.kthvalue(flat.numel() - keep + 1).values
        self.masks = [(t >= threshold).float() for t in self.totals]
        self.totals = None
        return keep
