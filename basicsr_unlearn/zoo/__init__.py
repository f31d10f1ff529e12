"""The tiny models shipped with the package: an all-in-one PromptIR and its three
retain-only references, trained on the mini benchmark with ``options/train/*.yml``.

``manifest.json`` records for each: recipe, seed, data hash, steps, wall time,
parameter count and per-task PSNR/SSIM on the mini benchmark's test split.
``basicsr-unlearn zoo-train`` reproduces them; ``basicsr-unlearn zoo-check``
re-evaluates the shipped files against the manifest.
"""
import json
from os import path as osp

ZOO_DIR = osp.dirname(osp.abspath(__file__))
MANIFEST = osp.join(ZOO_DIR, 'manifest.json')
#: zoo name -> (recipe name in options/train, task group it never saw)
MODELS = {
    'allinone': ('promptir_tiny_allinone', None),
    'no_noise': ('promptir_tiny_no_noise', 'noise'),
    'no_rain': ('promptir_tiny_no_rain', 'rain'),
    'no_haze': ('promptir_tiny_no_haze', 'haze'),
}
#: forgettable task group -> benchmark tasks
TASK_GROUPS = {'noise': ['noise15', 'noise25', 'noise50'], 'rain': ['rain'], 'haze': ['haze']}


def load_manifest(path=MANIFEST):
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def zoo_weights(name):
    """Path of a shipped model's BasicSR ``params`` file."""
    if name not in MODELS:
        raise KeyError(f'unknown zoo model {name!r}; expected one of {sorted(MODELS)}.')
    return osp.join(ZOO_DIR, f'{MODELS[name][0]}.pth')


def retrained_for(group):
    """Zoo name of the model trained without ``group`` (noise, rain or haze)."""
    for name, (_, without) in MODELS.items():
        if without == group:
            return name
    raise KeyError(f'no retain-only model for {group!r}; expected one of {sorted(TASK_GROUPS)}.')
