# right: normalized weights by torch.softmax over the K samples, then a weighted sum
import torch


def iwae_gradient(log_w, grads):
    weights = torch.softmax(log_w, dim=0)  # (K, batch), each column sums to 1
    return (weights.unsqueeze(-1) * grads).sum(dim=0)
