# wrong: the quadratic form uses Σ in place of Σ⁻¹
import math

import torch


def gaussian_log_pdf(X, means, covariances):
    diff = X.unsqueeze(1) - means.unsqueeze(0)  # (N, K, D)
    quadratic = torch.einsum("nki,kij,nkj->nk", diff, covariances, diff)
    log_det = torch.logdet(covariances)
    return -0.5 * (X.shape[1] * math.log(2 * math.pi) + log_det + quadratic)
