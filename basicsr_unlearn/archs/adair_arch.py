"""AdaIR (Cui et al., ICLR 2025): Restormer with frequency mining and modulation in the decoder."""
import torch
import torch.nn.functional as F
from torch import nn

from basicsr.utils.registry import ARCH_REGISTRY

from .restormer_blocks import (OverlapPatchEmbed, Upsample, add_encoder, channel_attention, freeze, pad_to_multiple,
                               run_encoder, transformer_stage)


class Chanel_Cross_Attention(nn.Module):  # noqa: N801  (named as in the paper's code)
    """Transposed attention with queries from ``x`` and keys/values from ``y``."""

    def __init__(self, dim, num_head, bias):
        super().__init__()
        self.num_head = num_head
        self.temperature = nn.Parameter(torch.ones(num_head, 1, 1))
        self.q = nn.Conv2d(dim, dim, kernel_size=1, bias=bias)
        self.q_dwconv = nn.Conv2d(dim, dim, kernel_size=3, padding=1, groups=dim, bias=bias)
        self.kv = nn.Conv2d(dim, dim * 2, kernel_size=1, bias=bias)
        self.kv_dwconv = nn.Conv2d(dim * 2, dim * 2, kernel_size=3, padding=1, groups=dim * 2, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, kernel_size=1, bias=bias)

    def forward(self, x, y):
        if x.shape != y.shape:
            raise ValueError(f'cross attention needs equal shapes, got {tuple(x.shape)} and {tuple(y.shape)}')
        q = self.q_dwconv(self.q(x))
        k, v = self.kv_dwconv(self.kv(y)).chunk(2, dim=1)
        return self.project_out(channel_attention(q, k, v, self.num_head, self.temperature))


class SpatialGate(nn.Module):
    """H-L unit: a spatial map from the channel max and mean of the high frequencies."""

    def __init__(self):
        super().__init__()
        self.spatial = nn.Conv2d(2, 1, kernel_size=7, padding=3, bias=False)

    def forward(self, x):
        pooled = torch.cat([x.max(1, keepdim=True)[0], x.mean(1, keepdim=True)], dim=1)
        return torch.sigmoid(self.spatial(pooled))


class ChannelGate(nn.Module):
    """L-H unit: channel weights from the average and max pooled low frequencies."""

    def __init__(self, dim):
        super().__init__()
        self.mlp = nn.Sequential(nn.Conv2d(dim, dim // 16, 1, bias=False), nn.ReLU(),
                                 nn.Conv2d(dim // 16, dim, 1, bias=False))

    def forward(self, x):
        return torch.sigmoid(self.mlp(F.adaptive_avg_pool2d(x, 1)) + self.mlp(F.adaptive_max_pool2d(x, 1)))


class FreRefine(nn.Module):
    """Frequency modulation: each band gated by the other, then mixed."""

    def __init__(self, dim):
        super().__init__()
        self.SpatialGate = SpatialGate()  # noqa: N815  (checkpoint key names)
        self.ChannelGate = ChannelGate(dim)  # noqa: N815
        self.proj = nn.Conv2d(dim, dim, kernel_size=1)

    def forward(self, low, high):
        return self.proj(low * self.SpatialGate(high) + high * self.ChannelGate(low))


def centre_box_mask(h, w, half_h, half_w):
    """(B, 1, h, w) float mask, 1 inside the box of half sizes (half_h[b], half_w[b]) around (h//2, w//2)."""
    rows = torch.arange(h, device=half_h.device)
    cols = torch.arange(w, device=half_w.device)
    in_rows = (rows >= h // 2 - half_h[:, None]) & (rows < h // 2 + half_h[:, None])
    in_cols = (cols >= w // 2 - half_w[:, None]) & (cols < w // 2 + half_w[:, None])
    return (in_rows[:, None, :, None] & in_cols[:, None, None, :]).float()


class FreModule(nn.Module):
    """Adaptive frequency learning block: splits the (resized) input image into low and
    high frequencies with a learned box in the centred spectrum, and injects both into ``y``."""

    def __init__(self, dim, num_heads, bias, in_dim=3):
        super().__init__()
        self.conv = nn.Conv2d(in_dim, dim, kernel_size=3, padding=1, bias=False)  # in the checkpoints, unused
        self.conv1 = nn.Conv2d(in_dim, dim, kernel_size=3, padding=1, bias=False)
        self.score_gen = nn.Conv2d(2, 2, 7, padding=3)  # in the checkpoints, unused
        self.para1 = nn.Parameter(torch.zeros(dim, 1, 1))
        self.para2 = nn.Parameter(torch.ones(dim, 1, 1))
        self.channel_cross_l = Chanel_Cross_Attention(dim, num_heads, bias)
        self.channel_cross_h = Chanel_Cross_Attention(dim, num_heads, bias)
        self.channel_cross_agg = Chanel_Cross_Attention(dim, num_heads, bias)
        self.frequency_refine = FreRefine(dim)
        self.rate_conv = nn.Sequential(nn.Conv2d(dim, dim // 8, 1, bias=False), nn.GELU(),
                                       nn.Conv2d(dim // 8, 2, 1, bias=False))
        # rate_conv only feeds an integer box size, so it never gets a gradient (in the authors' training too)
        freeze(self.conv, self.score_gen, self.rate_conv)

    def split_frequencies(self, x, n=128):
        """Returns (high, low) magnitude maps; the low band is a centred box of the
        spectrum whose half size is ``int(size // n * rate)``, rate in (0, 1) per image."""
        x = self.conv1(x)
        h, w = x.shape[-2:]
        rate = torch.sigmoid(self.rate_conv(F.adaptive_avg_pool2d(x, 1)))
        mask = centre_box_mask(h, w, (h // n * rate[:, 0, 0, 0]).int(), (w // n * rate[:, 1, 0, 0]).int())
        shift = (int(h / 2), int(w / 2))
        spectrum = torch.roll(torch.fft.fft2(x, norm='forward', dim=(-2, -1)), shifts=shift, dims=(2, 3))

        def back(part):
            part = torch.roll(part, shifts=(-shift[0], -shift[1]), dims=(2, 3))
            return torch.fft.ifft2(part, norm='forward', dim=(-2, -1)).abs()

        return back(spectrum * (1 - mask)), back(spectrum * mask)

    def forward(self, image, y):
        x = F.interpolate(image, y.shape[-2:], mode='bilinear', align_corners=False)
        high, low = self.split_frequencies(x)
        high = self.channel_cross_l(high, y)
        low = self.channel_cross_h(low, y)
        out = self.channel_cross_agg(y, self.frequency_refine(low, high))
        return out * self.para1 + y * self.para2


@ARCH_REGISTRY.register()
class AdaIR(nn.Module):
    """AdaIR. The defaults are the published model (``decoder=True``, width 48).

    Args: as PromptIR's (``inp_channels``, ``out_channels``, ``dim``, ``num_blocks``,
    ``num_refinement_blocks``, ``heads``, ``ffn_expansion_factor``, ``bias``,
    ``LayerNorm_type``), and ``decoder`` (the frequency modules; the published model).
    ``dim`` must be at least 8 (the gates divide ``2 * dim`` channels by 16).
    """

    def __init__(self, inp_channels=3, out_channels=3, dim=48, num_blocks=(4, 6, 6, 8), num_refinement_blocks=4,
                 heads=(1, 2, 4, 8), ffn_expansion_factor=2.66, bias=False, LayerNorm_type='WithBias', decoder=True):
        super().__init__()
        if dim < 8:
            raise ValueError(f'AdaIR dim must be >= 8, got {dim}.')
        self.decoder = decoder

        def stage(count, channels, num_heads):
            return transformer_stage(count, channels, num_heads, ffn_expansion_factor, bias, LayerNorm_type)

        self.patch_embed = OverlapPatchEmbed(inp_channels, dim)
        if decoder:
            self.fre1 = FreModule(dim * 8, heads[2], bias, in_dim=inp_channels)
            self.fre2 = FreModule(dim * 4, heads[2], bias, in_dim=inp_channels)
            self.fre3 = FreModule(dim * 2, heads[2], bias, in_dim=inp_channels)
        add_encoder(self, dim, num_blocks, heads, stage)
        self.up4_3 = Upsample(dim * 8)
        self.reduce_chan_level3 = nn.Conv2d(dim * 8, dim * 4, kernel_size=1, bias=bias)
        self.decoder_level3 = stage(num_blocks[2], dim * 4, heads[2])
        self.up3_2 = Upsample(dim * 4)
        self.reduce_chan_level2 = nn.Conv2d(dim * 4, dim * 2, kernel_size=1, bias=bias)
        self.decoder_level2 = stage(num_blocks[1], dim * 2, heads[1])
        self.up2_1 = Upsample(dim * 2)
        self.decoder_level1 = stage(num_blocks[0], dim * 2, heads[0])
        self.refinement = stage(num_refinement_blocks, dim * 2, heads[0])
        self.output = nn.Conv2d(dim * 2, out_channels, kernel_size=3, padding=1, bias=bias)

    def forward(self, inp_img):
        h, w = inp_img.shape[-2:]
        inp_img = pad_to_multiple(inp_img)
        enc1, enc2, enc3, latent = run_encoder(self, inp_img)
        if self.decoder:
            latent = self.fre1(inp_img, latent)
        dec3 = self.decoder_level3(self.reduce_chan_level3(torch.cat([self.up4_3(latent), enc3], 1)))
        if self.decoder:
            dec3 = self.fre2(inp_img, dec3)
        dec2 = self.decoder_level2(self.reduce_chan_level2(torch.cat([self.up3_2(dec3), enc2], 1)))
        if self.decoder:
            dec2 = self.fre3(inp_img, dec2)
        dec1 = self.decoder_level1(torch.cat([self.up2_1(dec2), enc1], 1))
        return (self.output(self.refinement(dec1)) + inp_img)[..., :h, :w]
