"""BasicSR's optimizer set-up, for any optimizer of ``torch.optim``."""
import torch

from ..utils import OptionError


def get_optimizer(self, optim_type, params, lr, **kwargs):
    """Drop-in for ``BaseModel.get_optimizer``: any ``torch.optim`` optimizer by name
    (basicsr 1.4.2 knows only Adam; the PromptIR/AdaIR recipes use AdamW)."""
    optimizer_class = getattr(torch.optim, str(optim_type), None)
    if not (isinstance(optimizer_class, type) and issubclass(optimizer_class, torch.optim.Optimizer)):
        raise OptionError('train.optim_g.type', f'{optim_type!r} is not an optimizer in torch.optim.')
    return optimizer_class(params, lr, **kwargs)
