# wrong: the log of a sum of exps without shifting: −inf at a far point
import math

import torch


def mixture_log_prior(z, means, log_sigmas, logits):
    diff = (z[:, None, :] - means[None]) / torch.exp(log_sigmas)[None]
    log_normal = (-0.5 * diff**2 - log_sigmas[None] - 0.5 * math.log(2 * math.pi)).sum(-1)
    return torch.log((torch.softmax(logits, 0) * torch.exp(log_normal)).sum(dim=1))
