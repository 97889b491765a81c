# wrong: adds the default 1e-6 whatever reg_covar is passed
import torch


def m_step(X, resp, reg_covar=1e-6):
    n_k = resp.sum(dim=0)
    means = resp.T @ X / n_k.unsqueeze(1)
    diff = X.unsqueeze(0) - means.unsqueeze(1)
    covariances = (resp.T.unsqueeze(2) * diff).transpose(1, 2) @ diff / n_k.view(-1, 1, 1)
    return n_k / X.shape[0], means, covariances + 1e-6 * torch.eye(X.shape[1])
