"""sha256 of files and of sets of files: what identifies weights, recipes and data without revealing them."""
import hashlib


def sha256_bytes(data):
    return hashlib.sha256(data).hexdigest()


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def set_fingerprint(hashes):
    """sha256 over the sorted hex digests of a set's members: the same set in any order, under
    any names, gives the same fingerprint."""
    return sha256_bytes(''.join(sorted(hashes)).encode())
