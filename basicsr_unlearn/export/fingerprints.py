"""Hashes that identify files and sets of files without revealing them."""
import hashlib
import os
from os import path as osp

from ..data.paired_source import IMAGE_EXTENSIONS


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def set_fingerprint(folders):
    """sha256 over the sorted sha256 of every image in ``folders``: the same set of images
    (in any order, under any names) gives the same fingerprint; names are not part of it."""
    hashes = sorted(sha256_file(osp.join(folder, name)) for folder in folders for name in os.listdir(folder)
                    if name.lower().endswith(IMAGE_EXTENSIONS))
    if not hashes:
        raise ValueError(f'no images to fingerprint in {folders}')
    return hashlib.sha256(''.join(hashes).encode()).hexdigest(), len(hashes)
