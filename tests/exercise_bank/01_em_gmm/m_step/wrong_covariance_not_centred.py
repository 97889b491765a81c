# wrong: the covariance forgets to subtract the mean (a second moment, not a covariance)
import torch


def m_step(X, resp, reg_covar=1e-6):
    n_k = resp.sum(dim=0)
    means = resp.T @ X / n_k.unsqueeze(1)
    covariances = torch.einsum("nk,nd,ne->kde", resp, X, X) / n_k.view(-1, 1, 1)
    return n_k / X.shape[0], means, covariances + reg_covar * torch.eye(X.shape[1])
