"""Writing our own output files: whole or not at all (a temporary file renamed into place)."""
import json
import os
import platform
from os import path as osp


def write_json_atomic(data, path):
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    tmp = f'{path}.partial'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=2)
        f.write('\n')
    os.replace(tmp, path)


def machine():
    """What a measurement ran on, for the files that keep it."""
    import torch
    return dict(python=platform.python_version(), torch=str(torch.__version__), cpu=platform.processor() or
                platform.machine(), threads=torch.get_num_threads(), cuda=torch.cuda.is_available())
