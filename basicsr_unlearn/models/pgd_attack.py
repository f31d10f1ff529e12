"""Projected gradient descent (PGD) on a restoration network's input."""
import torch

NORMS = ('linf', 'l2')


def _per_sample_norm(x):
    return x.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (x.dim() - 1)))


def pgd_perturb(net, lq, gt, criterion, eps, step_size, steps, norm='linf', random_start=False):
    """Adversarial version of ``lq``: within ``eps`` of it (L-inf or L2 ball, per sample),
    clipped to [0, 1], that maximises ``criterion(net(x), gt)``.

    The network's weights are left alone: gradients are taken with respect to the
    input only (``torch.autograd.grad``), so no ``.grad`` is written and a DDP
    wrapper is never run (pass the bare network). L-inf steps follow the gradient's
    sign, L2 steps its per-sample direction, so each sample's perturbation does not
    depend on the rest of the batch.
    """
    if norm not in NORMS:
        raise ValueError(f'PGD norm: expected one of {NORMS}, got {norm!r}.')
    lq = lq.detach()
    x = lq.clone()
    if random_start:
        noise = torch.empty_like(lq).uniform_(-1, 1)
        if norm == 'l2':
            radius = eps * torch.rand(lq.size(0), *([1] * (lq.dim() - 1)), device=lq.device)
            noise = noise / _per_sample_norm(noise) * radius
        else:
            noise = noise * eps
        x = (lq + noise).clamp(0, 1)
    for _ in range(steps):
        x.requires_grad_(True)
        with torch.enable_grad():
            loss = criterion(net(x), gt)
            grad, = torch.autograd.grad(loss, x)
        with torch.no_grad():
            if norm == 'linf':
                x = x + step_size * grad.sign()
                x = lq + (x - lq).clamp(-eps, eps)
            else:
                x = x + step_size * grad / _per_sample_norm(grad)
                delta = x - lq
                x = lq + delta * (eps / _per_sample_norm(delta)).clamp(max=1)
            x = x.clamp(0, 1)
    return x.detach()
