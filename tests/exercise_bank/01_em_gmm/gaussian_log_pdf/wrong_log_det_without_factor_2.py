# wrong: log det Σ taken as Σ_i log L_ii, missing the factor 2
import math

import torch


def gaussian_log_pdf(X, means, covariances):
    L = torch.linalg.cholesky(covariances)
    diff = (X.unsqueeze(0) - means.unsqueeze(1)).transpose(1, 2)
    y = torch.linalg.solve_triangular(L, diff, upper=False)
    log_det = L.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1)
    return -0.5 * (X.shape[1] * math.log(2 * math.pi) + log_det.unsqueeze(1) + y.square().sum(dim=1)).T
