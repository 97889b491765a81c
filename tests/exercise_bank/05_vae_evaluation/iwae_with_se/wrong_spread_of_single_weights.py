# wrong: the standard error from the spread of the single log-weights (sd over all S draws / √S), not of the group estimates
import math

import torch


def iwae_with_se(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IWAE estimates L_K of N examples from S log-weights each (S, N), k dividing S (at least two groups).

    Returns (estimate, se), each (N,) in nats.
    """
    groups = log_w.shape[0] // k
    per_group = torch.logsumexp(log_w.reshape(groups, k, -1), dim=1) - math.log(k)
    return per_group.mean(dim=0), log_w.std(dim=0) / math.sqrt(log_w.shape[0])
