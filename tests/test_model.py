"""AdversarialRetainModel on a toy problem, its options and its log."""
import pytest
import torch
from torch.utils.data import DataLoader

from basicsr.data import build_dataset
from basicsr.models import build_model
from basicsr_unlearn.utils import OptionError
from conftest import unlearn_options


def make_model(tiny_data, tiny_pretrained, tmp_path, **train_extra):
    opt = unlearn_options(tiny_data, tiny_pretrained, **train_extra)
    opt.update(is_train=True, dist=False, rank=0, world_size=1)
    opt['train']['optim_g']['lr'] = 3e-4
    opt['path'].update(models=str(tmp_path), training_states=str(tmp_path))
    dataset_opt = dict(opt['datasets']['train'], phase='train', seed=0)
    return build_model(opt), build_dataset(dataset_opt)


def restoration_losses(model, dataset):
    """Mean L1 of the model over all forget pairs and all retain pairs (whole images)."""
    net = model.get_bare_model(model.net_g)

    def mean_l1(source):
        errors = []
        for i in range(len(source)):
            lq, gt, _, _ = source.read(i)
            lq, gt = (torch.from_numpy(x.copy()).permute(2, 0, 1)[None] for x in (lq, gt))
            with torch.no_grad():
                errors.append((net(lq) - gt).abs().mean().item())
        return sum(errors) / len(errors)

    retain = [mean_l1(source) for source in dataset.retain]
    return mean_l1(dataset.forget[0]), sum(retain) / len(retain)


def train_steps(model, dataset, steps):
    loader = DataLoader(dataset, batch_size=4, shuffle=False)
    done = 0
    while done < steps:
        dataset.set_epoch(done)
        for batch in loader:
            model.feed_data(batch)
            model.optimize_parameters(done + 1)
            done += 1
            if done == steps:
                break


def test_forget_loss_up_retain_loss_kept(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make_model(tiny_data, tiny_pretrained, tmp_path,
                                forget_opt=dict(type='AscentLoss', bound='input', loss_weight=0.7))
    # the control run differs only in the forget term's weight
    control, _ = make_model(tiny_data, tiny_pretrained, tmp_path,
                            forget_opt=dict(type='AscentLoss', bound='input', loss_weight=0.0))
    item = dataset[0]
    with torch.no_grad():
        restored = model.net_g(item['lq_forget'][None])
    assert model.cri_forget.active(restored, item['gt_forget'][None], item['lq_forget'][None]).all()
    forget_before, retain_before = restoration_losses(model, dataset)
    train_steps(model, dataset, 20)
    train_steps(control, dataset, 20)
    forget_after, retain_after = restoration_losses(model, dataset)
    forget_control, _ = restoration_losses(control, dataset)
    forget_rise, retain_rise = forget_after / forget_before - 1, retain_after / retain_before - 1
    assert forget_rise > 0.3 and forget_after > 1.1 * forget_control
    # the retain loss barely moves (measured +1.6 % on 2 threads, +5 % on 1: summation order changes this toy
    # run a little) while the forget loss rises by almost half
    assert retain_rise < 0.1 and retain_rise < 0.2 * forget_rise
    assert set(model.get_current_log()) == {'l_forget', 'l_retain', 'l_adv', 'l_total', 'forget_active'}


def test_optional_terms_are_logged_and_original_stays_frozen(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make_model(tiny_data, tiny_pretrained, tmp_path, distill_opt=dict(type='L1Loss', loss_weight=0.5),
                                anchor_opt=dict(loss_weight=1e-3), ema_decay=0.9)
    original = {k: v.clone() for k, v in model.net_original.state_dict().items()}
    train_steps(model, dataset, 3)
    log = model.get_current_log()
    assert {'l_distill', 'l_anchor'} <= set(log) and log['l_anchor'] > 0
    assert all(torch.equal(v, model.net_original.state_dict()[k]) for k, v in original.items())
    assert hasattr(model, 'net_g_ema')


def test_without_adversarial_term(tiny_data, tiny_pretrained, tmp_path):
    model, dataset = make_model(tiny_data, tiny_pretrained, tmp_path, adversarial_opt=None)
    train_steps(model, dataset, 1)
    assert 'l_adv' not in model.get_current_log()


def test_any_torch_optimizer(tiny_data, tiny_pretrained, tmp_path):
    model, _ = make_model(tiny_data, tiny_pretrained, tmp_path, optim_g=dict(type='AdamW', lr=1e-4))
    assert isinstance(model.optimizer_g, torch.optim.AdamW)
    with pytest.raises(OptionError, match='train.optim_g.type'):
        make_model(tiny_data, tiny_pretrained, tmp_path, optim_g=dict(type='Adamm', lr=1e-4))


@pytest.mark.parametrize('extra, key', [
    (dict(forget_opt=None), 'train.forget_opt'),
    (dict(forget_opt=dict(type='AscentLoss', bound='psnr')), 'train.forget_opt'),
    (dict(adversarial_opt=dict(eps=-1)), 'train.adversarial_opt'),
    (dict(adversarial_opt=dict(norm='l1')), 'train.adversarial_opt.norm'),
    (dict(adversarial_opt=dict(epsilon=0.1)), 'train.adversarial_opt'),
])
def test_option_errors_name_the_key(tiny_data, tiny_pretrained, tmp_path, extra, key):
    with pytest.raises(OptionError, match=key.replace('.', r'\.')):
        make_model(tiny_data, tiny_pretrained, tmp_path, **extra)


def test_deletion_with_the_reference_bound(tiny_data, tiny_pretrained, tmp_path):
    """Deleting two rain images (the rest of rain retained) with bound: reference: each step
    measures the network on unseen rain pairs and logs that ratio; without them it says so."""
    from conftest import source
    deleted = ['rain_001.png', 'rain_004.png']
    reference_bound = dict(type='AscentLoss', bound='reference', loss_weight=1.0)
    model, dataset = make_model(tiny_data, tiny_pretrained, tmp_path, forget_opt=reference_bound)
    dataset = build_dataset(dict(model.opt['datasets']['train'], phase='train', seed=0,
                                 forget=source(tiny_data, 'rain', names=deleted),
                                 retain=[source(tiny_data, 'rain', exclude=deleted), source(tiny_data, 'haze')],
                                 reference=source(tiny_data, 'rain', 'val')))
    assert sorted(deleted) == sorted(p[1][-12:] for p in dataset.forget[0].pairs)
    train_steps(model, dataset, 2)
    log = model.get_current_log()
    assert 0 < log['reference_ratio'] < 1  # the network removes part of the unseen images' rain
    model, plain = make_model(tiny_data, tiny_pretrained, tmp_path, forget_opt=reference_bound)
    with pytest.raises(OptionError, match=r'datasets\.train\.reference'):
        train_steps(model, plain, 1)


@pytest.mark.parametrize('reference_network', ['original', 'current'])
def test_reference_bound_measured_on_the_chosen_network(tiny_data, tiny_pretrained, tmp_path, reference_network):
    """reference_network: original holds the bound where the frozen original restores unseen
    pairs, however far net_g has moved; current follows net_g."""
    from conftest import source
    forget_opt = dict(type='AscentLoss', bound='reference', reference_network=reference_network)
    model, _ = make_model(tiny_data, tiny_pretrained, tmp_path, forget_opt=forget_opt)
    dataset = build_dataset(dict(model.opt['datasets']['train'], phase='train', seed=0,
                                 reference=source(tiny_data, 'rain', 'val')))
    model.feed_data(next(iter(DataLoader(dataset, batch_size=4))))
    with torch.no_grad():
        for p in model.net_g.parameters():  # a network the ascent has moved far
            p.add_(0.05 * torch.randn_like(p))
        model.forget_loss(model.net_g(model.lq_forget))
        ratios = {name: model.cri_forget.reference_ratio(net(model.lq_reference), model.gt_reference,
                                                         model.lq_reference).item()
                  for name, net in (('original', model.original_network()), ('current', model.net_g))}
    assert abs(ratios['original'] - ratios['current']) > 0.01
    assert model.forget_log['reference_ratio'].item() == pytest.approx(ratios[reference_network], rel=1e-5)


def test_the_attack_still_perturbs_when_the_retain_descent_weight_is_0(tiny_data, tiny_pretrained, tmp_path,
                                                                       monkeypatch):
    """PGD ascends the adversarial term's loss, not pixel_opt's: weighted 0, the latter has no gradient."""
    from basicsr_unlearn.models import adversarial_retain_model
    attack, moved = adversarial_retain_model.pgd_perturb, []

    def recorded(net, lq, *args, **kwargs):
        adversarial = attack(net, lq, *args, **kwargs)
        moved.append((adversarial - lq).abs().max().item())
        return adversarial

    monkeypatch.setattr(adversarial_retain_model, 'pgd_perturb', recorded)
    model, dataset = make_model(tiny_data, tiny_pretrained, tmp_path, pixel_opt=dict(type='L1Loss', loss_weight=0.0))
    train_steps(model, dataset, 1)
    assert moved and moved[0] > 0.5 * model.adv['eps']
