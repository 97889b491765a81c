# right: in bits from the start (log2), the mean over the pixels of each image, + log2(256)
import math

import torch


def per_pixel_gaussian_bits(y_train: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Bits per dimension of each dequantized image in y (M, C, H, W) under one Gaussian per pixel, fitted
    by maximum likelihood to y_train (N, C, H, W): (M,)."""
    mean = y_train.mean(dim=0, keepdim=True)
    sd = y_train.var(dim=0, unbiased=False, keepdim=True).sqrt()
    z = (y - mean) / sd
    bits_per_pixel = (0.5 * z**2 + torch.log(sd) + 0.5 * math.log(2 * math.pi)) / math.log(2)
    return bits_per_pixel.flatten(start_dim=1).mean(dim=1) + math.log2(256)
