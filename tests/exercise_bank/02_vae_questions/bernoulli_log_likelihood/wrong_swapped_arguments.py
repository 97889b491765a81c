# wrong: binary_cross_entropy_with_logits with its arguments swapped (input = x, target = logits)
import torch.nn.functional as F


def bernoulli_log_likelihood(x, logits):
    per_pixel = -F.binary_cross_entropy_with_logits(x, logits, reduction="none")
    return per_pixel.flatten(start_dim=1).sum(dim=1)
