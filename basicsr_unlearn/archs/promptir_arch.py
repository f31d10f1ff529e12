"""PromptIR (Potlapalli et al., NeurIPS 2023): Restormer with prompt blocks in the decoder."""
import torch
import torch.nn.functional as F
from torch import nn

from basicsr.utils.registry import ARCH_REGISTRY

from .restormer_blocks import (OverlapPatchEmbed, TransformerBlock, Upsample, add_encoder, freeze, pad_to_multiple,
                               run_encoder, transformer_stage)


class PromptGenBlock(nn.Module):
    """A degradation-aware prompt: a softmax mix of learned prompt maps, weighted from the features."""

    def __init__(self, prompt_dim, prompt_len, prompt_size, lin_dim):
        super().__init__()
        self.prompt_param = nn.Parameter(torch.rand(1, prompt_len, prompt_dim, prompt_size, prompt_size))
        self.linear_layer = nn.Linear(lin_dim, prompt_len)
        self.conv3x3 = nn.Conv2d(prompt_dim, prompt_dim, kernel_size=3, padding=1, bias=False)

    def forward(self, x):
        weights = F.softmax(self.linear_layer(x.mean(dim=(-2, -1))), dim=1)
        prompt = torch.einsum('bk,kchw->bchw', weights, self.prompt_param[0])
        prompt = F.interpolate(prompt, x.shape[-2:], mode='bilinear', align_corners=False)
        return self.conv3x3(prompt)


def default_prompt_dims(dim):
    """The authors' channels (64, 128, 320 and 256 at width 48), scaled with the width."""
    return dim * 4 // 3, dim * 8 // 3, dim * 20 // 3, dim * 16 // 3


@ARCH_REGISTRY.register()
class PromptIR(nn.Module):
    """PromptIR. The defaults are the published model (``decoder=True``, width 48).

    Args:
        inp_channels / out_channels (int): 3 for RGB.
        dim (int): width of the first level; level i has ``dim * 2**i`` channels.
        num_blocks (list[int]): transformer blocks per level. Default: [4, 6, 6, 8].
        num_refinement_blocks (int): Default: 4.
        heads (list[int]): attention heads per level. Default: [1, 2, 4, 8].
        ffn_expansion_factor (float): Default: 2.66.
        bias (bool): Default: False.
        LayerNorm_type (str): 'WithBias' (default) or 'BiasFree'.
        decoder (bool): use the prompt blocks (the published model). Without them,
            the network is a plain Restormer-style U-Net.
        prompt_dims (list[int] | None): channels of prompts 1-3 and of the (unused)
            level-3 reduction; default derived from ``dim`` (64, 128, 320, 256 at 48).
        prompt_len (int): prompts per block. Default: 5.
        prompt_sizes (list[int]): spatial size of the learned prompts. Default: [64, 32, 16].
    """

    def __init__(self, inp_channels=3, out_channels=3, dim=48, num_blocks=(4, 6, 6, 8), num_refinement_blocks=4,
                 heads=(1, 2, 4, 8), ffn_expansion_factor=2.66, bias=False, LayerNorm_type='WithBias', decoder=True,
                 prompt_dims=None, prompt_len=5, prompt_sizes=(64, 32, 16)):
        super().__init__()
        p1, p2, p3, p3_reduced = prompt_dims or default_prompt_dims(dim)
        self.decoder = decoder
        for name, channels in (('noise_level1', dim * 2 + p1), ('noise_level2', dim * 4 + p2),
                               ('noise_level3', dim * 8 + p3)):
            if channels % heads[2]:
                raise ValueError(f'PromptIR {name} has {channels} channels, not divisible by heads[2]={heads[2]}; '
                                 'choose dim as a multiple of 3 (e.g. 12, 24, 48) or set prompt_dims.')

        def stage(count, channels, num_heads):
            return transformer_stage(count, channels, num_heads, ffn_expansion_factor, bias, LayerNorm_type)

        def block(channels):
            return TransformerBlock(channels, heads[2], ffn_expansion_factor, bias, LayerNorm_type)

        self.patch_embed = OverlapPatchEmbed(inp_channels, dim)
        if decoder:
            self.prompt1 = PromptGenBlock(p1, prompt_len, prompt_sizes[0], lin_dim=dim * 2)
            self.prompt2 = PromptGenBlock(p2, prompt_len, prompt_sizes[1], lin_dim=dim * 4)
            self.prompt3 = PromptGenBlock(p3, prompt_len, prompt_sizes[2], lin_dim=dim * 8)
        # present in the published checkpoints but never used by the forward pass
        self.chnl_reduce1 = nn.Conv2d(p1, p1, kernel_size=1, bias=bias)
        self.chnl_reduce2 = nn.Conv2d(p2, p2, kernel_size=1, bias=bias)
        self.chnl_reduce3 = nn.Conv2d(p3, p3_reduced, kernel_size=1, bias=bias)
        self.reduce_noise_channel_1 = nn.Conv2d(dim + p1, dim, kernel_size=1, bias=bias)
        self.reduce_noise_channel_2 = nn.Conv2d(dim * 2 + p2, dim * 2, kernel_size=1, bias=bias)
        self.reduce_noise_channel_3 = nn.Conv2d(dim * 4 + p3_reduced, dim * 4, kernel_size=1, bias=bias)

        add_encoder(self, dim, num_blocks, heads, stage)
        # with prompts, the latent is reduced to dim*4 channels before going up
        self.up4_3 = Upsample(dim * 4 if decoder else dim * 8)
        self.reduce_chan_level3 = nn.Conv2d(dim * 6 if decoder else dim * 8, dim * 4, kernel_size=1, bias=bias)
        self.noise_level3 = block(dim * 8 + p3)
        self.reduce_noise_level3 = nn.Conv2d(dim * 8 + p3, dim * 4, kernel_size=1, bias=bias)
        self.decoder_level3 = stage(num_blocks[2], dim * 4, heads[2])

        self.up3_2 = Upsample(dim * 4)
        self.reduce_chan_level2 = nn.Conv2d(dim * 4, dim * 2, kernel_size=1, bias=bias)
        self.noise_level2 = block(dim * 4 + p2)
        self.reduce_noise_level2 = nn.Conv2d(dim * 4 + p2, dim * 4, kernel_size=1, bias=bias)
        self.decoder_level2 = stage(num_blocks[1], dim * 2, heads[1])

        self.up2_1 = Upsample(dim * 2)
        self.noise_level1 = block(dim * 2 + p1)
        self.reduce_noise_level1 = nn.Conv2d(dim * 2 + p1, dim * 2, kernel_size=1, bias=bias)
        self.decoder_level1 = stage(num_blocks[0], dim * 2, heads[0])
        self.refinement = stage(num_refinement_blocks, dim * 2, heads[0])
        self.output = nn.Conv2d(dim * 2, out_channels, kernel_size=3, padding=1, bias=bias)

        freeze(self.chnl_reduce1, self.chnl_reduce2, self.chnl_reduce3, self.reduce_noise_channel_1,
               self.reduce_noise_channel_2, self.reduce_noise_channel_3)
        if not decoder:
            freeze(self.noise_level1, self.noise_level2, self.noise_level3, self.reduce_noise_level1,
                   self.reduce_noise_level2, self.reduce_noise_level3)

    def _prompted(self, x, prompt, mix, reduce):
        if not self.decoder:
            return x
        return reduce(mix(torch.cat([x, prompt(x)], 1)))

    def forward(self, inp_img):
        h, w = inp_img.shape[-2:]
        inp_img = pad_to_multiple(inp_img)
        enc1, enc2, enc3, latent = run_encoder(self, inp_img)
        latent = self._prompted(latent, getattr(self, 'prompt3', None), self.noise_level3, self.reduce_noise_level3)

        dec3 = self.reduce_chan_level3(torch.cat([self.up4_3(latent), enc3], 1))
        dec3 = self.decoder_level3(dec3)
        dec3 = self._prompted(dec3, getattr(self, 'prompt2', None), self.noise_level2, self.reduce_noise_level2)

        dec2 = self.reduce_chan_level2(torch.cat([self.up3_2(dec3), enc2], 1))
        dec2 = self.decoder_level2(dec2)
        dec2 = self._prompted(dec2, getattr(self, 'prompt1', None), self.noise_level1, self.reduce_noise_level1)

        dec1 = self.decoder_level1(torch.cat([self.up2_1(dec2), enc1], 1))
        return (self.output(self.refinement(dec1)) + inp_img)[..., :h, :w]
