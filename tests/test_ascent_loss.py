"""AscentLoss: ascent direction, each bound stops the ascent, reductions, errors."""
import pytest
import torch

from basicsr.losses import build_loss


def batch(seed=0, n=4):
    g = torch.Generator().manual_seed(seed)
    gt = torch.rand(n, 3, 8, 8, generator=g)
    lq = (gt + 0.2 * torch.randn(n, 3, 8, 8, generator=g)).clamp(0, 1)
    return lq, gt


@pytest.mark.parametrize('criterion', ['l1', 'l2', 'charbonnier'])
def test_gradient_step_increases_restoration_loss(criterion):
    lq, gt = batch()
    pred = (gt + 0.01 * torch.randn_like(gt)).requires_grad_(True)  # a good restoration: far below the bound
    loss_fn = build_loss(dict(type='AscentLoss', criterion=criterion, bound='input'))
    value = loss_fn(pred, gt, lq=lq)
    value.backward()
    before = loss_fn.per_sample(pred, gt)
    after = loss_fn.per_sample(pred - 0.05 * pred.grad.sign(), gt)  # one descent step on the value
    assert value.item() == pytest.approx(-before.mean().item(), rel=1e-5)  # the negated restoration loss
    assert (after > before).all()


def test_input_bound_stops_at_the_degraded_input_loss():
    lq, gt = batch()
    loss_fn = build_loss(dict(type='AscentLoss', bound='input'))
    worse = (2 * lq - gt).clamp(0, 1).requires_grad_(True)  # farther from gt than lq is
    better = (gt + 0.01).requires_grad_(True)  # closer to gt than lq is
    loss_fn(torch.cat([worse, better]), torch.cat([gt, gt]), lq=torch.cat([lq, lq])).backward()
    assert worse.grad is None or worse.grad.abs().sum() == 0
    assert better.grad.abs().sum() > 0
    assert loss_fn.last_active.item() == pytest.approx(0.5)


def test_l2_bound_keeps_ascending_where_l1_says_stop():
    """A sparse degradation (one bright streak pixel) has a small L1 but a large L2 error: an
    output with a little error everywhere already matches the input's L1 while being far
    better in PSNR, so an L2 bound keeps it ascending."""
    gt = torch.full((1, 3, 8, 8), 0.5)
    lq = gt.clone()
    lq[0, :, 3, 3] = 1.0  # the streak
    pred = gt + 0.01
    assert pred.sub(gt).abs().mean() > lq.sub(gt).abs().mean()
    assert pred.sub(gt).pow(2).mean() < lq.sub(gt).pow(2).mean()
    by_l1 = build_loss(dict(type='AscentLoss', criterion='l1'))
    by_l2 = build_loss(dict(type='AscentLoss', criterion='l1', bound_criterion='l2'))
    assert not by_l1.active(pred, gt, lq).any()
    assert by_l2.active(pred, gt, lq).all()
    pred.requires_grad_(True)
    value = by_l2(pred, gt, lq=lq)
    value.backward()
    assert value.item() == pytest.approx(-0.01, rel=1e-4)  # the ascent itself stays L1
    assert pred.grad.abs().sum() > 0


def test_psnr_and_ceiling_bounds_stop():
    _, gt = batch()
    near = (gt + 0.01).requires_grad_(True)  # ~40 dB
    far = (gt + 0.2).requires_grad_(True)  # ~14 dB
    psnr = build_loss(dict(type='AscentLoss', bound='psnr', target_psnr=20))
    psnr(torch.cat([near, far]), torch.cat([gt, gt])).backward()
    assert near.grad.abs().sum() > 0 and far.grad.abs().sum() == 0
    near.grad = far.grad = None
    ceiling = build_loss(dict(type='AscentLoss', bound='ceiling', ceiling=0.1))
    ceiling(torch.cat([near, far]), torch.cat([gt, gt])).backward()
    assert near.grad.abs().sum() > 0 and far.grad.abs().sum() == 0


def test_ascent_to_the_bound_stops_instead_of_diverging():
    """Repeated steps on the output saturate at the bound; with bound 'none' they run away."""
    lq, gt = batch()

    def ascend(bound):
        pred = (gt + 0.01 * torch.randn(gt.shape, generator=torch.Generator().manual_seed(1))).requires_grad_(True)
        loss_fn = build_loss(dict(type='AscentLoss', bound=bound, criterion='l2'))
        optimizer = torch.optim.SGD([pred], lr=20.0)
        for _ in range(300):
            optimizer.zero_grad()
            loss_fn(pred, gt, lq=lq).backward()
            optimizer.step()
        return loss_fn.per_sample(pred.detach(), gt), loss_fn.per_sample(lq, gt)

    bounded, input_loss = ascend('input')
    assert (bounded >= input_loss).all() and (bounded < 1.5 * input_loss).all()
    unbounded, _ = ascend('none')
    assert (unbounded > 10 * input_loss).all()


def test_loss_weight_and_reductions():
    lq, gt = batch()
    pred = gt + 0.05
    mean = build_loss(dict(type='AscentLoss', loss_weight=2.0))(pred, gt, lq=lq)
    total = build_loss(dict(type='AscentLoss', reduction='sum'))(pred, gt, lq=lq)
    each = build_loss(dict(type='AscentLoss', reduction='none'))(pred, gt, lq=lq)
    assert each.shape == (4,)
    assert mean.item() == pytest.approx(2 * each.mean().item(), rel=1e-5)
    assert total.item() == pytest.approx(each.sum().item(), rel=1e-5)


@pytest.mark.parametrize('bad, match', [
    (dict(criterion='l3'), 'criterion'),
    (dict(bound_criterion='ssim'), 'bound_criterion'),
    (dict(bound='sometimes'), 'bound'),
    (dict(bound='psnr'), 'target_psnr'),
    (dict(bound='ceiling'), 'ceiling'),
    (dict(reduction='max'), 'reduction'),
    (dict(bound='reference', reference_network='retrained'), 'reference_network'),
])
def test_bad_arguments(bad, match):
    with pytest.raises(ValueError, match=match):
        build_loss(dict(type='AscentLoss', **bad))


def test_input_bound_needs_lq():
    _, gt = batch()
    with pytest.raises(ValueError, match='degraded input'):
        build_loss(dict(type='AscentLoss'))(gt, gt)


def test_reference_bound_stops_where_unseen_images_are_restored():
    """bound: reference scales the input's loss by how much error the network leaves on unseen
    pairs: ratio 0.5 stops a sample at half its input's loss, not at the input's."""
    lq, gt = batch()
    loss_fn = build_loss(dict(type='AscentLoss', bound='reference'))
    half = (gt + 0.5 * (lq - gt))  # leaves half of the input's L1 error
    assert loss_fn.reference_ratio(half, gt, lq).item() == pytest.approx(0.5, rel=1e-5)
    at_60 = (gt + 0.6 * (lq - gt)).requires_grad_(True)  # past a 0.5 reference, short of the input
    at_40 = (gt + 0.4 * (lq - gt)).requires_grad_(True)
    loss_fn(torch.cat([at_60, at_40]), torch.cat([gt, gt]), lq=torch.cat([lq, lq]),
            reference_ratio=torch.tensor(0.5)).backward()
    assert at_60.grad.abs().sum() == 0 and at_40.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='reference_ratio'):
        loss_fn(gt, gt, lq=lq)
