# right: the Gaussian written out, converted to bits per dimension first, then + 8 (= log2 256) bits
import math

import torch


def per_pixel_gaussian_bits(y_train: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Bits per dimension of each dequantized image in y (M, C, H, W) under one Gaussian per pixel, fitted
    by maximum likelihood to y_train (N, C, H, W): (M,)."""
    n = y_train.shape[0]
    mean = y_train.sum(dim=0) / n
    variance = ((y_train - mean) ** 2).sum(dim=0) / n  # maximum likelihood: 1/N
    per_pixel = 0.5 * (y - mean) ** 2 / variance + 0.5 * torch.log(2 * math.pi * variance)  # nats
    nats = per_pixel.reshape(len(y), -1).sum(dim=1)
    dims = y[0].numel()
    return nats / (dims * math.log(2)) + 8.0
