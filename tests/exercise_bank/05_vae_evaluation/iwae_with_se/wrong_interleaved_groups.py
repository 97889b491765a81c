# wrong: reshape(k, groups, N) makes group g of draws g, g + groups, … (strided), not the consecutive blocks asked for
import math

import torch


def iwae_with_se(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IWAE estimates L_K of N examples from S log-weights each (S, N), k dividing S (at least two groups).

    Returns (estimate, se), each (N,) in nats.
    """
    groups = log_w.shape[0] // k
    per_group = torch.logsumexp(log_w.reshape(k, groups, -1), dim=0) - math.log(k)  # (groups, N)
    return per_group.mean(dim=0), per_group.std(dim=0) / math.sqrt(groups)
