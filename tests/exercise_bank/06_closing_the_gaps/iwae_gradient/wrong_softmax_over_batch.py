# wrong: softmax along the batch instead of along the K samples
import torch


def iwae_gradient(log_w, grads):
    return (torch.softmax(log_w, dim=1).unsqueeze(-1) * grads).sum(dim=0)
