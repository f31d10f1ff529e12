"""Per-task PSNR/SSIM of a network, computed exactly as BasicSR's validation does.

Outputs are converted with ``tensor2img`` (RGB float -> BGR uint8) and scored with
BasicSR's ``calculate_psnr``/``calculate_ssim`` per image, then averaged, so the
numbers equal what BasicSR's ``test.py`` logs for the same model and data.
"""
from collections import OrderedDict
from os import path as osp

import numpy as np
import torch

from basicsr.metrics import calculate_psnr, calculate_ssim
from basicsr.utils import img2tensor, tensor2img

from ..data.paired_source import PairedSource
from .score_cache import load_scores, score_keys, store_scores


def split_source_opt(root, task, split, **keys):
    """The paired-source options of ``<root>/<task>/<split>/{gt,lq}`` (the benchmark layout), plus ``keys``
    (e.g. ``names``/``exclude``)."""
    return dict(tag=task, dataroot_gt=f'{root}/{task}/{split}/gt', dataroot_lq=f'{root}/{task}/{split}/lq', **keys)


def paired_sources(root, tasks, split):
    """``{task: PairedSource}`` of each task's ``split`` in the benchmark layout at ``root``."""
    return OrderedDict((task, PairedSource(split_source_opt(root, task, split), f'{task}/{split}')) for task in tasks)


@torch.inference_mode()
def restore(net, img_lq, device):
    """Network output for one HWC BGR float image, as a CHW RGB tensor on the CPU."""
    lq = img2tensor(img_lq, bgr2rgb=True, float32=True)[None].to(device)
    return net(lq)[0].float().cpu()


def image_scores(net, source, device='cpu', crop_border=0, test_y_channel=False, with_ssim=True, cache=True):
    """Per-image dict lists: psnr, ssim, input_psnr (of the degraded input) and mse (output vs gt).

    ``with_ssim=False`` leaves SSIM out (None), the slow part, where only PSNR is used. Scores are
    computed once per network weights and data (``score_cache``); scores with SSIM serve both.
    ``cache=False`` (what checks use) computes them afresh and keeps nothing."""
    if not cache:
        return compute_image_scores(net, source, device, crop_border, test_y_channel, with_ssim)
    variants = [dict(crop_border=crop_border, test_y_channel=test_y_channel, with_ssim=ssim)
                for ssim in dict.fromkeys([True, with_ssim])]
    keys = score_keys(net, source, variants)
    for key, options in zip(keys, variants):
        cached = load_scores(key, len(source), options['with_ssim'])
        if cached is not None:
            return cached
    scores = compute_image_scores(net, source, device, crop_border, test_y_channel, with_ssim)
    store_scores(keys[-1], scores)
    return scores


def compute_image_scores(net, source, device, crop_border, test_y_channel, with_ssim):
    scores = []
    for index in range(len(source)):
        img_lq, img_gt, lq_path, _ = source.read(index)
        output = restore(net, img_lq, device)
        out_u8 = tensor2img([output])
        gt_u8 = tensor2img([img2tensor(img_gt, bgr2rgb=True, float32=True)])
        lq_u8 = tensor2img([img2tensor(img_lq, bgr2rgb=True, float32=True)])
        scores.append(dict(
            name=lq_path,
            psnr=calculate_psnr(out_u8, gt_u8, crop_border, test_y_channel=test_y_channel),
            ssim=calculate_ssim(out_u8, gt_u8, crop_border, test_y_channel=test_y_channel) if with_ssim else None,
            input_psnr=calculate_psnr(lq_u8, gt_u8, crop_border, test_y_channel=test_y_channel),
            mse=float(np.mean((out_u8.astype(np.float64) - gt_u8) ** 2)),
        ))
    return scores


def summarise(scores, per_image=False):
    """Means over the images; ``per_image`` adds ``images``: {image name: PSNR}, which a mean can hide."""
    summary = dict(psnr=float(np.mean([s['psnr'] for s in scores])), ssim=float(np.mean([s['ssim'] for s in scores])),
                   input_psnr=float(np.mean([s['input_psnr'] for s in scores])), count=len(scores))
    if per_image:
        summary['images'] = OrderedDict((osp.splitext(osp.basename(s['name']))[0], float(s['psnr'])) for s in scores)
    return summary


def evaluate_network(net, sources, device='cpu', crop_border=0, test_y_channel=False, cache=True, per_image=False):
    """``{task: {psnr, ssim, input_psnr, count}}`` over each task's images (mean per image);
    ``cache`` as ``image_scores``', ``per_image`` as ``summarise``'."""
    was_training = net.training
    net.eval()
    try:
        return OrderedDict((task, summarise(image_scores(net, source, device, crop_border, test_y_channel,
                                                         cache=cache), per_image))
                           for task, source in sources.items())
    finally:
        net.train(was_training)
