# wrong: the log-sum-exp runs over the wrong axis (the points, dim=0)
import torch


def e_step(X, weights, means, covariances):
    log_joint = weights.log() + gaussian_log_pdf(X, means, covariances)
    log_norm = torch.logsumexp(log_joint, dim=0, keepdim=True)
    return log_joint - log_norm, log_norm.mean().item()
