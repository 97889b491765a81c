# wrong: weights w_k / K instead of w_k / Σ_j w_j (the gradient of the mean weight, not of its log)
import torch


def iwae_gradient(log_w, grads):
    w = torch.exp(log_w) / log_w.shape[0]
    return (w.unsqueeze(-1) * grads).sum(dim=0)
