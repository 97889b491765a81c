# wrong: the mixing weights π are left out (right only for equal weights)
import torch


def e_step(X, weights, means, covariances):
    log_joint = gaussian_log_pdf(X, means, covariances)
    log_px = torch.logsumexp(log_joint, dim=1, keepdim=True)
    return log_joint - log_px, log_px.mean().item()
