# wrong: log σ taken as log σ² (the scale is exp(log_sigmas / 2))
import math

import torch


def mixture_log_prior(z, means, log_sigmas, logits):
    diff = (z[:, None, :] - means[None]) / torch.exp(0.5 * log_sigmas)[None]
    log_normal = (-0.5 * diff**2 - 0.5 * log_sigmas[None] - 0.5 * math.log(2 * math.pi)).sum(-1)
    return torch.logsumexp(log_normal + torch.log_softmax(logits, dim=0), dim=1)
