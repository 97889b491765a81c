# wrong: log(mean(exp(log_w))) without the max trick: exp underflows to 0 for log-weights near -5,000 (-inf)
import math

import torch


def iwae_with_se(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IWAE estimates L_K of N examples from S log-weights each (S, N), k dividing S (at least two groups).

    Returns (estimate, se), each (N,) in nats.
    """
    groups = log_w.shape[0] // k
    per_group = torch.log(torch.exp(log_w.reshape(groups, k, -1)).mean(dim=1))
    return per_group.mean(dim=0), per_group.std(dim=0) / math.sqrt(groups)
