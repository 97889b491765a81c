# right: torch.split into consecutive groups, losses.log_mean_exp, torch.var (unbiased) of the group estimates
import torch

from seminar_utils import losses


def iwae_with_se(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IWAE estimates L_K of N examples from S log-weights each (S, N), k dividing S (at least two groups).

    Returns (estimate, se), each (N,) in nats.
    """
    per_group = torch.stack([losses.log_mean_exp(group, dim=0) for group in log_w.split(k)])
    return per_group.mean(0), (per_group.var(0) / per_group.shape[0]).sqrt()
