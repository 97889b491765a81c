# right: another equivalent formula — the weighted second moment minus μ μᵀ, with einsum
import torch


def m_step(X, resp, reg_covar=1e-6):
    n_k = torch.einsum("nk->k", resp)
    means = torch.einsum("nk,nd->kd", resp, X) / n_k[:, None]
    second = torch.einsum("nk,nd,ne->kde", resp, X, X) / n_k[:, None, None]
    covariances = second - torch.einsum("kd,ke->kde", means, means)
    covariances = covariances + reg_covar * torch.eye(X.shape[1], dtype=X.dtype)
    return n_k / resp.shape[0], means, covariances
