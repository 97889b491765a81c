# right: the notebook's solution — torch.logsumexp over the components
import torch


def e_step(X, weights, means, covariances):
    log_joint = weights.log() + gaussian_log_pdf(X, means, covariances)
    log_px = torch.logsumexp(log_joint, dim=1, keepdim=True)
    return log_joint - log_px, log_px.mean().item()
