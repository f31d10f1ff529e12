"""Cost of one AdversarialRetainModel step relative to one SRModel step on the same batch.

SRModel trains on a batch of B retain pairs; AdversarialRetainModel's step sees B forget
pairs, the same B retain pairs and (with PGD) their B adversarial versions, plus the
PGD steps themselves. Both are built by BasicSR from option dicts and timed with the
same network, data and device.

    python benchmarks/step_cost.py                       # tiny PromptIR, CPU
    python benchmarks/step_cost.py --full --device cuda  # published PromptIR, GPU
"""
import argparse
import json
import platform
import time

import torch

import basicsr_unlearn  # noqa: F401
from basicsr.models import build_model

TINY = dict(type='PromptIR', dim=12, num_blocks=[1, 1, 1, 1], num_refinement_blocks=1, heads=[1, 1, 2, 2],
            prompt_sizes=[16, 8, 4])


def make_opt(model_type, network, device, **train):
    return dict(name='step_cost', model_type=model_type, scale=1, num_gpu=1 if device == 'cuda' else 0,
                is_train=True, dist=False, rank=0, world_size=1, network_g=network,
                path=dict(pretrain_network_g=None, models='.', training_states='.'),
                train=dict(ema_decay=0, optim_g=dict(type='Adam', lr=1e-4), total_iter=10,
                           scheduler=dict(type='MultiStepLR', milestones=[10 ** 6], gamma=1),
                           pixel_opt=dict(type='L1Loss', loss_weight=1.0), **train))


def time_steps(model, batch, warmup, repeats, device):
    model.feed_data(batch)
    for i in range(warmup + repeats):
        if i == warmup:
            if device == 'cuda':
                torch.cuda.synchronize()
            start = time.perf_counter()
        model.optimize_parameters(i + 1)
    if device == 'cuda':
        torch.cuda.synchronize()
    return (time.perf_counter() - start) / repeats


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--full', action='store_true', help='the published PromptIR instead of the tiny one')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--batch', type=int, default=4, help='B: pairs per batch (default: %(default)s)')
    parser.add_argument('--size', type=int, default=48, help='patch size (default: %(default)s)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--json', help='also write the results here')
    args = parser.parse_args()
    torch.manual_seed(0)
    network = dict(type='PromptIR') if args.full else dict(TINY)
    shape = (args.batch, 3, args.size, args.size)
    gt_r, gt_f = torch.rand(shape), torch.rand(shape)
    lq_r, lq_f = (gt_r + 0.1 * torch.randn(shape)).clamp(0, 1), (gt_f + 0.1 * torch.randn(shape)).clamp(0, 1)
    forget = dict(type='AscentLoss', bound='none')  # keeps every sample ascending: the full cost
    variants = {
        'SRModel': ('SRModel', {}, {'lq': lq_r, 'gt': gt_r}),
        'AdversarialRetainModel, no PGD': ('AdversarialRetainModel', dict(forget_opt=forget), None),
        'AdversarialRetainModel, PGD 1 step': ('AdversarialRetainModel', dict(
            forget_opt=forget, adversarial_opt=dict(loss_weight=1.0, eps=4 / 255, steps=1)), None),
        'AdversarialRetainModel, PGD 3 steps': ('AdversarialRetainModel', dict(
            forget_opt=forget, adversarial_opt=dict(loss_weight=1.0, eps=4 / 255, steps=3)), None),
    }
    unlearn_batch = {'lq_forget': lq_f, 'gt_forget': gt_f, 'lq_retain': lq_r, 'gt_retain': gt_r}
    results = {}
    for label, (model_type, train, batch) in variants.items():
        model = build_model(make_opt(model_type, dict(network), args.device, **train))
        results[label] = time_steps(model, batch or unlearn_batch, args.warmup, args.repeats, args.device)
    base = results['SRModel']
    device = torch.cuda.get_device_name() if args.device == 'cuda' else f'{platform.processor() or "CPU"}, ' \
        f'{torch.get_num_threads()} threads'
    print(f"{'PromptIR (published)' if args.full else 'tiny PromptIR'}, batch {args.batch} x {args.size}^2, {device}")
    for label, seconds in results.items():
        print(f'  {label:<38} {seconds * 1000:8.1f} ms/step   x{seconds / base:.2f}')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump(dict(device=device, batch=args.batch, size=args.size, full=args.full,
                           seconds=results, ratio={k: v / base for k, v in results.items()}), f, indent=2)


if __name__ == '__main__':
    main()
