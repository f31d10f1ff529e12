"""PGD on the retained inputs: stays in the eps-ball and in [0, 1], raises the loss, leaves weights alone."""
import pytest
import torch

from basicsr.archs import build_network
from basicsr.losses import build_loss
from basicsr_unlearn.models.pgd_attack import pgd_perturb
from conftest import TINY_NET


@pytest.fixture
def setup():
    torch.manual_seed(0)
    net = build_network(dict(TINY_NET))
    gt = torch.rand(3, 3, 16, 16)
    lq = (gt + 0.1 * torch.randn_like(gt)).clamp(0, 1)
    return net, lq, gt, build_loss(dict(type='L1Loss'))


@pytest.mark.parametrize('norm, eps, steps, random_start', [
    ('linf', 4 / 255, 1, False), ('linf', 4 / 255, 3, True), ('l2', 0.5, 1, False), ('l2', 0.5, 3, True)])
def test_perturbation_in_ball_and_raises_loss(setup, norm, eps, steps, random_start):
    net, lq, gt, criterion = setup
    step = eps if steps == 1 else 2.5 * eps / steps
    adv = pgd_perturb(net, lq, gt, criterion, eps, step, steps, norm=norm, random_start=random_start)
    delta = (adv - lq).flatten(1)
    size = delta.abs().max(1).values if norm == 'linf' else delta.norm(dim=1)
    assert (size <= eps + 1e-6).all() and (size > 0).all()
    assert adv.min() >= 0 and adv.max() <= 1
    with torch.no_grad():
        clean, attacked = criterion(net(lq), gt), criterion(net(adv), gt)
    assert attacked > clean


def test_weights_and_grads_untouched(setup):
    net, lq, gt, criterion = setup
    before = {k: v.clone() for k, v in net.state_dict().items()}
    pgd_perturb(net, lq, gt, criterion, 4 / 255, 2 / 255, 3)
    assert all(p.grad is None for p in net.parameters())
    assert all(torch.equal(before[k], v) for k, v in net.state_dict().items())
    assert all(p.requires_grad for p in net.parameters())


def test_per_sample_independent_of_batch(setup):
    net, lq, gt, criterion = setup
    whole = pgd_perturb(net, lq, gt, criterion, 4 / 255, 2 / 255, 2)
    first = pgd_perturb(net, lq[:1], gt[:1], criterion, 4 / 255, 2 / 255, 2)
    assert torch.allclose(whole[:1], first, atol=1e-6)


def test_bad_norm(setup):
    net, lq, gt, criterion = setup
    with pytest.raises(ValueError, match='norm'):
        pgd_perturb(net, lq, gt, criterion, 0.1, 0.1, 1, norm='l1')
