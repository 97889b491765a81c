# wrong: averaged over the pixels instead of summed (nats per pixel, not per object)
from torch import nn


def bernoulli_log_likelihood(x, logits):
    per_pixel = x * logits - nn.functional.softplus(logits)
    return per_pixel.flatten(start_dim=1).mean(dim=1)
