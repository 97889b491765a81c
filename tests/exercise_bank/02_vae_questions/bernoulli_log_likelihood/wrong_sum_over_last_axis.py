# wrong: summed over the last axis only (right for (batch, D), not for images (batch, 1, H, W))
from torch import nn


def bernoulli_log_likelihood(x, logits):
    return (x * logits - nn.functional.softplus(logits)).sum(dim=-1)
