# wrong: the covariance averages every point equally, ignoring the responsibilities
import torch


def m_step(X, resp, reg_covar=1e-6):
    n_k = resp.sum(dim=0)
    means = resp.T @ X / n_k.unsqueeze(1)
    diff = X.unsqueeze(0) - means.unsqueeze(1)  # (K, N, D)
    covariances = diff.transpose(1, 2) @ diff / X.shape[0]
    return n_k / X.shape[0], means, covariances + reg_covar * torch.eye(X.shape[1])
