"""Synthetic degradations: deterministic per seed, and each does what its name says."""
import numpy as np
import pytest

from basicsr_unlearn.prepare.degradations import add_gaussian_noise, add_haze, add_rain, degrade, depth_proxy


@pytest.fixture
def image():
    rng = np.random.default_rng(0)
    ramp = np.linspace(0.2, 0.8, 64, dtype=np.float32)
    return np.clip(ramp[None, :, None] * np.ones((64, 1, 3), np.float32) + 0.05 * rng.random((64, 64, 3)),
                   0, 1).astype(np.float32)


@pytest.mark.parametrize('tag', ['noise15', 'noise25', 'noise50', 'rain', 'rain_heavy', 'haze'])
def test_deterministic_per_seed_and_in_range(image, tag):
    a = degrade(image, tag, np.random.default_rng(5))
    b = degrade(image, tag, np.random.default_rng(5))
    c = degrade(image, tag, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == image.shape and 0 <= a.min() and a.max() <= 1


@pytest.mark.parametrize('sigma', [15, 25, 50])
def test_noise_std_matches_sigma_before_clipping(sigma):
    grey = np.full((128, 128, 3), 0.5, np.float32)  # far from 0 and 1: no clipping
    noisy = add_gaussian_noise(grey, sigma, np.random.default_rng(1))
    assert abs((noisy - grey).std() * 255 - sigma) < 0.02 * sigma
    assert abs((noisy - grey).mean()) * 255 < 0.5


def test_noise_is_clipped_to_the_valid_range():
    black = np.zeros((32, 32, 3), np.float32)
    assert add_gaussian_noise(black, 50, np.random.default_rng(0)).min() == 0


@pytest.mark.parametrize('level', ['light', 'heavy'])
def test_rain_adds_only_bright_streaks(image, level):
    rainy = add_rain(image, np.random.default_rng(2), level)
    assert (rainy >= image - 1e-6).all()
    changed = (rainy - image).max(axis=2) > 0.05
    streak_rows = changed.any(axis=1).mean()
    assert streak_rows > 0.5  # streaks are long (they cross many rows)
    if level == 'light':
        assert 0.01 < changed.mean() < 0.6  # Rain100L: sparse streaks, not a global brightening


def test_heavy_rain_is_denser_and_brighter_than_light(image):
    light = add_rain(image, np.random.default_rng(2), 'light') - image
    heavy = add_rain(image, np.random.default_rng(2), 'heavy') - image
    assert (heavy > 0.05).mean() > 2 * (light > 0.05).mean() and heavy.mean() > 2 * light.mean()


def test_heavy_rain_is_heavier(image):
    light = add_rain(image, np.random.default_rng(3), 'light')
    heavy = add_rain(image, np.random.default_rng(3), 'heavy')
    assert (heavy - image).mean() > (light - image).mean()


def test_haze_lowers_contrast_monotonically_with_beta(image):
    depth = depth_proxy(image.shape[:2], np.random.default_rng(4))
    stds = [add_haze(image, np.random.default_rng(4), beta=b, airlight=0.85, depth=depth).std()
            for b in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert stds[0] == pytest.approx(image.std(), rel=1e-5)  # beta 0: no haze
    assert all(a > b for a, b in zip(stds, stds[1:]))


def test_haze_tends_to_the_airlight_where_far(image):
    depth = np.ones(image.shape[:2], np.float32)
    hazy = add_haze(image, np.random.default_rng(0), beta=8.0, airlight=0.8, depth=depth)
    assert np.allclose(hazy, 0.8, atol=0.01)
    ramp = depth_proxy((64, 64), np.random.default_rng(0))
    assert ramp.min() == 0 and ramp.max() == 1 and ramp[:8].mean() > ramp[-8:].mean()  # farther at the top


def test_unknown_tag():
    with pytest.raises(ValueError, match='unknown degradation'):
        degrade(np.zeros((4, 4, 3), np.float32), 'snow', np.random.default_rng(0))
