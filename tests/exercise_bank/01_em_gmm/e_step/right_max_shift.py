# right: the log-sum-exp written out, shifted by each row's maximum
import torch


def e_step(X, weights, means, covariances):
    a = torch.log(weights) + gaussian_log_pdf(X, means, covariances)  # (N, K)
    m = a.max(dim=1, keepdim=True).values
    log_px = m + torch.log(torch.exp(a - m).sum(dim=1, keepdim=True))
    return a - log_px, float(log_px.mean())
