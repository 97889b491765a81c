# right: another equivalent formula — x·log σ(η) + (1 − x)·log σ(−η) with the stable logsigmoid
import torch.nn.functional as F


def bernoulli_log_likelihood(x, logits):
    per_pixel = x * F.logsigmoid(logits) + (1 - x) * F.logsigmoid(-logits)
    return per_pixel.sum(dim=tuple(range(1, x.dim())))
