# right: subtract the largest log weight before exponentiating, normalize by hand, einsum
import torch


def iwae_gradient(log_w, grads):
    shifted = torch.exp(log_w - log_w.max(dim=0, keepdim=True).values)
    weights = shifted / shifted.sum(dim=0, keepdim=True)
    return torch.einsum("kb,kbp->bp", weights, grads)
