"""Synthetic degradations of the all-in-one protocol: noise, rain streaks, haze.

All functions take and return float32 RGB images in [0, 1] (HWC), are vectorised
numpy and take a ``numpy.random.Generator``, so a seed fixes the result.
"""
import cv2
import numpy as np

#: Rain100L-like (light: thin streaks in one direction, ~22 dB input PSNR on the mini
#: benchmark) and Rain100H-like (heavy: dense, wide streaks in several directions)
RAIN_SETTINGS = {
    'light': dict(density=0.01, length=(15, 28), angle=(-15, 15), width=1, intensity=(0.6, 0.9), layers=1),
    'heavy': dict(density=0.012, length=(20, 40), angle=(-30, 30), width=3, intensity=(0.7, 0.95), layers=3),
}


def add_gaussian_noise(img, sigma, rng):
    """AWGN of ``sigma`` on the 0..255 scale, clipped to the valid range (as the all-in-one papers do)."""
    noisy = img + rng.standard_normal(img.shape, dtype=np.float32) * np.float32(sigma / 255.0)
    return np.clip(noisy, 0, 1).astype(np.float32)


def motion_kernel(length, angle_deg, width=1):
    """A normalised line kernel of ``length`` pixels, rotated ``angle_deg`` from vertical."""
    size = int(length) | 1  # odd
    kernel = np.zeros((size, size), np.float32)
    left = size // 2 - width // 2
    kernel[:, left:left + width] = 1
    rotation = cv2.getRotationMatrix2D(((size - 1) / 2, (size - 1) / 2), angle_deg, 1.0)
    kernel = cv2.warpAffine(kernel, rotation, (size, size), flags=cv2.INTER_LINEAR)
    return kernel / max(kernel.sum(), 1e-6)


def rain_layer(shape, rng, density, length, angle, width, intensity, layers):
    """Streak map in [0, 1]: sparse random seeds smeared by rotated line kernels."""
    h, w = shape
    streaks = np.zeros((h, w), np.float32)
    for _ in range(layers):
        seeds = (rng.random((h, w)) < density).astype(np.float32)
        seeds *= rng.uniform(0.5, 1.0, (h, w)).astype(np.float32)
        kernel = motion_kernel(rng.integers(length[0], length[1] + 1), rng.uniform(*angle), width)
        layer = cv2.filter2D(seeds, -1, kernel, borderType=cv2.BORDER_REFLECT)
        layer /= max(float(layer.max()), 1e-6)
        streaks = np.maximum(streaks, layer * rng.uniform(*intensity))
    return streaks


def add_rain(img, rng, level='light'):
    """Rain100L/H-like streaks, added (screen blend) so they only brighten the image."""
    settings = RAIN_SETTINGS[level]
    streaks = rain_layer(img.shape[:2], rng, **settings)[..., None]
    return (img + streaks * (1 - img)).astype(np.float32)  # screen blend: out >= img


def depth_proxy(shape, rng):
    """A smooth depth map in [0, 1]: farther towards the top, plus low-frequency variation."""
    h, w = shape
    rows = np.linspace(1.0, 0.0, h, dtype=np.float32)[:, None] * np.ones((1, w), np.float32)
    coarse = rng.random((4, 4)).astype(np.float32)
    variation = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)
    depth = 0.7 * rows + 0.3 * variation
    depth -= depth.min()
    return depth / max(float(depth.max()), 1e-6)


def add_haze(img, rng, beta=None, airlight=None, depth=None):
    """Atmospheric scattering ``I = J t + A (1 - t)`` with ``t = exp(-beta d)``.

    ``beta`` defaults to a draw in [0.5, 1.5], ``airlight`` to one in [0.7, 0.9] (about
    15-17 dB input PSNR on the mini benchmark, like SOTS-outdoor), ``depth`` to ``depth_proxy``.
    """
    beta = rng.uniform(0.5, 1.5) if beta is None else beta
    airlight = rng.uniform(0.7, 0.9) if airlight is None else airlight
    depth = depth_proxy(img.shape[:2], rng) if depth is None else depth
    transmission = np.exp(-beta * depth)[..., None].astype(np.float32)
    return np.clip(img * transmission + airlight * (1 - transmission), 0, 1).astype(np.float32)


DEGRADATIONS = {
    'noise15': lambda img, rng: add_gaussian_noise(img, 15, rng),
    'noise25': lambda img, rng: add_gaussian_noise(img, 25, rng),
    'noise50': lambda img, rng: add_gaussian_noise(img, 50, rng),
    'rain': lambda img, rng: add_rain(img, rng, 'light'),
    'rain_heavy': lambda img, rng: add_rain(img, rng, 'heavy'),
    'haze': lambda img, rng: add_haze(img, rng),
}


def degrade(img, tag, rng):
    """Apply the degradation named ``tag`` (a key of ``DEGRADATIONS``)."""
    if tag not in DEGRADATIONS:
        raise ValueError(f'unknown degradation {tag!r}; expected one of {sorted(DEGRADATIONS)}.')
    return DEGRADATIONS[tag](img, rng)
