"""A publisher's signature over a whole zoo entry, made with OpenSSF's ``model-signing``.

The card's own signature (``model_card.py``) is an unkeyed hash: it finds an edit, but whoever
edits can sign again. This one needs the publisher's private key: ``model-signing`` hashes every
file of the entry folder into a manifest and signs it (an EC key, offline), and only the holder of
that key can make a signature that the publisher's public key accepts. It is an optional extra
(``pip install 'basicsr_unlearn[sign]'``); without it entries are verified by re-measurement alone.
"""
import re
from os import path as osp

from ..utils import MissingFileError, UserError

SIGNATURE_FILE = 'model.sig'
EXTRA = "pip install 'basicsr_unlearn[sign]'"


def model_signing():
    """The ``model_signing`` package, or a refusal that says how to install it."""
    try:
        import model_signing
    except ImportError as error:
        raise UserError(f'publisher signatures need the model-signing package ({EXTRA}): {error}') from error
    return model_signing


def hashing_config(model_signing):
    """Every file of the entry but the signature itself."""
    return model_signing.hashing.Config().set_ignored_paths(paths=[SIGNATURE_FILE])


def check_key_file(path, option):
    if not osp.isfile(path):
        raise MissingFileError(f'{option} {path}: no such key file.')


def check_can_sign(private_key):
    """Before any work: the key file is there and model-signing is installed."""
    check_key_file(private_key, '--sign-key')
    model_signing()


def sign_entry(folder, private_key):
    """Write ``<folder>/model.sig``: the publisher's signature over every other file of ``folder``."""
    check_key_file(private_key, '--sign-key')
    ms = model_signing()
    try:
        ms.signing.Config().use_elliptic_key_signer(private_key=private_key).set_hashing_config(
            hashing_config(ms)).sign(folder, osp.join(folder, SIGNATURE_FILE))
    except (ValueError, TypeError) as error:  # not a PEM EC private key, or an encrypted one
        raise UserError(f'--sign-key {private_key}: cannot sign with it ({error}); expected an unencrypted EC '
                        'private key in PEM, e.g. from `openssl ecparam -name prime256v1 -genkey -noout`.') from error


def publisher_check(folder, public_key):
    """(good, text) of the entry's publisher signature: ``public_key`` None only notes whether one is there."""
    signature = osp.join(folder, SIGNATURE_FILE)
    if public_key is None:
        if osp.isfile(signature):
            return None, f'{SIGNATURE_FILE}: signed by a publisher key, not checked (give --public-key)'
        return None, 'no publisher signature: the numbers below are all this entry is judged by'
    check_key_file(public_key, '--public-key')
    if not osp.isfile(signature):
        return False, (f'{SIGNATURE_FILE} missing: the entry is not signed, so --public-key {public_key} cannot '
                       'vouch for it')
    ms = model_signing()
    try:
        ms.verifying.Config().use_elliptic_key_verifier(public_key=public_key).set_hashing_config(
            hashing_config(ms)).verify(folder, signature)
    except Exception as error:  # model-signing raises ValueError, and others from its parsers, for a bad signature
        changed = sorted(set(re.findall(r"mismatch for \\*'([^'\\]+)", str(error))))
        why = (f"files changed since it was signed: {', '.join(changed)}" if changed else
               ' '.join(str(error).split())[:300])
        return False, f'{SIGNATURE_FILE} does not verify with --public-key {public_key}: {why}'
    return True, f'{SIGNATURE_FILE}: every file of the entry is as the holder of {public_key}\'s private key signed it'
