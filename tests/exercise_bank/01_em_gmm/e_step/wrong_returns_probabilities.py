# wrong: returns γ itself instead of log γ
import torch


def e_step(X, weights, means, covariances):
    log_joint = weights.log() + gaussian_log_pdf(X, means, covariances)
    log_px = torch.logsumexp(log_joint, dim=1, keepdim=True)
    return torch.exp(log_joint - log_px), log_px.mean().item()
