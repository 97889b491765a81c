# wrong: returns the groups' standard deviation, not the standard error of their mean (no / √groups)
import math

import torch


def iwae_with_se(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IWAE estimates L_K of N examples from S log-weights each (S, N), k dividing S (at least two groups).

    Returns (estimate, se), each (N,) in nats.
    """
    groups = log_w.shape[0] // k
    per_group = torch.logsumexp(log_w.reshape(groups, k, -1), dim=1) - math.log(k)
    return per_group.mean(dim=0), per_group.std(dim=0)
