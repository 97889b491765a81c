# right: differentiate the bound through a surrogate whose gradient in g is the weighted average
import math

import torch


def iwae_gradient(log_w, grads):
    t = torch.zeros(grads.shape[1:], dtype=grads.dtype, requires_grad=True)  # (batch, P)
    surrogate = log_w + (grads * t).sum(-1)  # ∂/∂t of log w_k + g_k·t at t = 0 is g_k
    bound = torch.logsumexp(surrogate, dim=0) - math.log(log_w.shape[0])
    return torch.autograd.grad(bound.sum(), t)[0]
