# right: log N per component, plus log_softmax of the logits, then logsumexp over components
import math

import torch


def mixture_log_prior(z, means, log_sigmas, logits):
    diff = (z[:, None, :] - means[None]) / torch.exp(log_sigmas)[None]  # (N, C, D)
    log_normal = (-0.5 * diff**2 - log_sigmas[None] - 0.5 * math.log(2 * math.pi)).sum(-1)
    return torch.logsumexp(log_normal + torch.log_softmax(logits, dim=0), dim=1)
