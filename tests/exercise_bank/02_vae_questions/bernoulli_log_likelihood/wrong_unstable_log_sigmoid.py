# wrong: log of sigmoid(η) and of 1 − sigmoid(η) — log 0 = −inf at logits ±100 (the text asks for stability)
import torch


def bernoulli_log_likelihood(x, logits):
    p = torch.sigmoid(logits)
    per_pixel = x * torch.log(p) + (1 - x) * torch.log(1 - p)
    return per_pixel.flatten(start_dim=1).sum(dim=1)
