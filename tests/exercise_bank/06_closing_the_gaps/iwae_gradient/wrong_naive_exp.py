# wrong: exp(log w) without shifting: 0/0 = NaN when the log weights are near −900
import torch


def iwae_gradient(log_w, grads):
    w = torch.exp(log_w)
    return ((w / w.sum(dim=0, keepdim=True)).unsqueeze(-1) * grads).sum(dim=0)
