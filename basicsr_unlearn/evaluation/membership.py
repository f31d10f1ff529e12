"""Loss-based membership inference on restoration models.

The attack scores an image by how much the model improves it, calibrated by how
degraded that image was: ``score = PSNR(output) - PSNR(input)`` (a per-image
difficulty calibration of the restoration error). Members (training images) tend to
be restored better than unseen images of the same degradation. The AUC of telling
the forget *training* images from unseen ones is reported; a model retrained without
them is the reference (near 0.5 if the attack cannot tell).
"""
import numpy as np

from .restoration_metrics import image_scores


def calibrated_scores(scores):
    return np.array([s['psnr'] - s['input_psnr'] for s in scores])


def auc(members, non_members):
    """Area under the ROC curve of "higher score means member" (Mann-Whitney U, ties count half)."""
    members, non_members = np.asarray(members, float), np.asarray(non_members, float)
    if not len(members) or not len(non_members):
        raise ValueError('membership AUC needs members and non-members.')
    greater = (members[:, None] > non_members[None, :]).sum()
    ties = (members[:, None] == non_members[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(members) * len(non_members)))


def membership_auc(net, member_sources, non_member_sources, device='cpu'):
    """AUC over the images of the given PairedSources (members: forget training pairs)."""
    def scores(sources):
        return np.concatenate([calibrated_scores(image_scores(net, s, device, with_ssim=False)) for s in sources])

    members, non_members = scores(member_sources), scores(non_member_sources)
    return dict(auc=auc(members, non_members), members=len(members), non_members=len(non_members))
