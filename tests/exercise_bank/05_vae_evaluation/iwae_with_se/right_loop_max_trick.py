# right: a loop over the groups, the max subtracted by hand, the variance written out with groups - 1
import torch


def iwae_with_se(log_w: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """IWAE estimates L_K of N examples from S log-weights each (S, N), k dividing S (at least two groups).

    Returns (estimate, se), each (N,) in nats.
    """
    estimates = []
    for start in range(0, log_w.shape[0], k):
        block = log_w[start : start + k]  # (k, N): draws start, …, start + k - 1
        top = block.max(dim=0).values
        estimates.append(top + torch.log(torch.exp(block - top).mean(dim=0)))
    estimates = torch.stack(estimates)  # (groups, N)
    g = len(estimates)
    mean = estimates.sum(dim=0) / g
    variance = ((estimates - mean) ** 2).sum(dim=0) / (g - 1)
    return mean, torch.sqrt(variance / g)
