# right: minus PyTorch's binary cross-entropy on logits, per element, summed per object
import torch.nn.functional as F


def bernoulli_log_likelihood(x, logits):
    per_pixel = -F.binary_cross_entropy_with_logits(logits, x, reduction="none")
    return per_pixel.reshape(x.shape[0], -1).sum(dim=1)
