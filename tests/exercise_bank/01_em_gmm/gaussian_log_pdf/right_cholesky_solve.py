# right: the notebook's solution — batched Cholesky factors and one triangular solve
import math

import torch


def gaussian_log_pdf(X, means, covariances):
    L = torch.linalg.cholesky(covariances)  # (K, D, D)
    diff = (X.unsqueeze(0) - means.unsqueeze(1)).transpose(1, 2)  # (K, D, N)
    y = torch.linalg.solve_triangular(L, diff, upper=False)
    mahalanobis = y.square().sum(dim=1)  # (K, N)
    log_det = 2 * L.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)  # (K,)
    return -0.5 * (X.shape[1] * math.log(2 * math.pi) + log_det.unsqueeze(1) + mahalanobis).T
