"""Restormer building blocks shared by PromptIR and AdaIR.

Attribute names follow the authors' code so that their checkpoints load with
``strict=True``; the computations are the same (channel layer norm, transposed
multi-head attention, gated depth-wise feed-forward).
"""
import torch
import torch.nn.functional as F
from torch import nn


class NormParams(nn.Module):
    """Holds a layer norm's ``weight`` (and ``bias``) under the key names of the checkpoints."""

    def __init__(self, channels, with_bias):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        if with_bias:
            self.bias = nn.Parameter(torch.zeros(channels))


class ChannelLayerNorm(nn.Module):
    """Layer norm over the channels of each pixel (eps 1e-5).

    'WithBias' is the usual layer norm; 'BiasFree' scales by the standard deviation
    without centring the output and has no bias.
    """

    def __init__(self, channels, norm_type='WithBias'):
        super().__init__()
        if norm_type not in ('WithBias', 'BiasFree'):
            raise ValueError(f"LayerNorm_type: expected 'WithBias' or 'BiasFree', got {norm_type!r}.")
        self.with_bias = norm_type == 'WithBias'
        self.body = NormParams(channels, self.with_bias)

    def forward(self, x):
        if self.with_bias:  # torch's fused kernel over the last axis: ~4x faster than reducing over dim 1
            return F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2], self.body.weight, self.body.bias,
                                1e-5).permute(0, 3, 1, 2)
        var = x.var(1, keepdim=True, unbiased=False)
        return x / torch.sqrt(var + 1e-5) * self.body.weight.view(1, -1, 1, 1)


def split_heads(x, heads):
    """(B, heads*C, H, W) -> (B, heads, C, H*W)."""
    b, c, h, w = x.shape
    return x.reshape(b, heads, c // heads, h * w)


def channel_attention(q, k, v, heads, temperature):
    """Attention across channels (a C x C map per head), linear in the number of pixels."""
    b, c, h, w = q.shape
    q = F.normalize(split_heads(q, heads), dim=-1)
    k = F.normalize(split_heads(k, heads), dim=-1)
    attn = (q @ k.transpose(-2, -1) * temperature).softmax(dim=-1)
    return (attn @ split_heads(v, heads)).reshape(b, c, h, w)


class Attention(nn.Module):
    """Multi-Dconv head transposed self-attention (MDTA)."""

    def __init__(self, dim, num_heads, bias):
        super().__init__()
        if dim % num_heads:
            raise ValueError(f'{dim} channels cannot be split into {num_heads} heads.')
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, kernel_size=1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, kernel_size=3, padding=1, groups=dim * 3, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, kernel_size=1, bias=bias)

    def forward(self, x):
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        return self.project_out(channel_attention(q, k, v, self.num_heads, self.temperature))


class FeedForward(nn.Module):
    """Gated-Dconv feed-forward network (GDFN)."""

    def __init__(self, dim, ffn_expansion_factor, bias):
        super().__init__()
        hidden = int(dim * ffn_expansion_factor)
        self.project_in = nn.Conv2d(dim, hidden * 2, kernel_size=1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, kernel_size=3, padding=1, groups=hidden * 2, bias=bias)
        self.project_out = nn.Conv2d(hidden, dim, kernel_size=1, bias=bias)

    def forward(self, x):
        gate, value = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(gate) * value)


class TransformerBlock(nn.Module):

    def __init__(self, dim, num_heads, ffn_expansion_factor, bias, norm_type):
        super().__init__()
        self.norm1 = ChannelLayerNorm(dim, norm_type)
        self.attn = Attention(dim, num_heads, bias)
        self.norm2 = ChannelLayerNorm(dim, norm_type)
        self.ffn = FeedForward(dim, ffn_expansion_factor, bias)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


def transformer_stage(count, dim, num_heads, ffn_expansion_factor, bias, norm_type):
    return nn.Sequential(*[TransformerBlock(dim, num_heads, ffn_expansion_factor, bias, norm_type)
                           for _ in range(count)])


class Downsample(nn.Module):
    """Halves the resolution, doubles the channels."""

    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels // 2, 3, padding=1, bias=False), nn.PixelUnshuffle(2))

    def forward(self, x):
        return self.body(x)


class Upsample(nn.Module):
    """Doubles the resolution, halves the channels."""

    def __init__(self, channels):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, channels * 2, 3, padding=1, bias=False), nn.PixelShuffle(2))

    def forward(self, x):
        return self.body(x)


class OverlapPatchEmbed(nn.Module):

    def __init__(self, in_channels, dim, bias=False):
        super().__init__()
        self.proj = nn.Conv2d(in_channels, dim, kernel_size=3, padding=1, bias=bias)

    def forward(self, x):
        return self.proj(x)


def freeze(*modules):
    """Parameters that the authors' checkpoints carry but that never receive a gradient.

    They stay in the state dict (strict loading) but are excluded from training,
    so DDP works without ``find_unused_parameters``.
    """
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(False)


def add_encoder(net, dim, num_blocks, heads, stage):
    """Give ``net`` the four encoder levels (``dim`` to ``dim * 8`` channels) under the
    attribute names of the checkpoints; ``stage(count, channels, heads)`` builds a level."""
    net.encoder_level1 = stage(num_blocks[0], dim, heads[0])
    net.down1_2 = Downsample(dim)
    net.encoder_level2 = stage(num_blocks[1], dim * 2, heads[1])
    net.down2_3 = Downsample(dim * 2)
    net.encoder_level3 = stage(num_blocks[2], dim * 4, heads[2])
    net.down3_4 = Downsample(dim * 4)
    net.latent = stage(num_blocks[3], dim * 8, heads[3])


#: the encoder halves the image three times (pixel unshuffle): sides must divide by 8
SIZE_MULTIPLE = 8


def pad_to_multiple(img, multiple=SIZE_MULTIPLE):
    """``img`` (N, C, H, W) reflect-padded at the bottom and right to sides divisible by ``multiple``,
    so any image size runs (Rain100L is 481x321); callers crop the output back to (H, W)."""
    h, w = img.shape[-2:]
    pad_h, pad_w = -h % multiple, -w % multiple
    return F.pad(img, (0, pad_w, 0, pad_h), mode='reflect') if pad_h or pad_w else img


def run_encoder(net, inp_img):
    """(level-1, level-2, level-3 features, latent) of ``inp_img``."""
    enc1 = net.encoder_level1(net.patch_embed(inp_img))
    enc2 = net.encoder_level2(net.down1_2(enc1))
    enc3 = net.encoder_level3(net.down2_3(enc2))
    return enc1, enc2, enc3, net.latent(net.down3_4(enc3))
