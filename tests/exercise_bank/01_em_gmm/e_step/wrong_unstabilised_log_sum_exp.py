# wrong: log Σ exp without subtracting the maximum — the far point's densities underflow to 0, log 0 = −inf
import torch


def e_step(X, weights, means, covariances):
    log_joint = weights.log() + gaussian_log_pdf(X, means, covariances)
    log_px = torch.log(torch.exp(log_joint).sum(dim=1, keepdim=True))
    return log_joint - log_px, log_px.mean().item()
