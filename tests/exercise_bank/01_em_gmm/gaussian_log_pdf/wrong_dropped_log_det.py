# wrong: the log-determinant is left out (right only when det Σ = 1, e.g. at Σ = I)
import math

import torch


def gaussian_log_pdf(X, means, covariances):
    L = torch.linalg.cholesky(covariances)
    diff = (X.unsqueeze(0) - means.unsqueeze(1)).transpose(1, 2)
    y = torch.linalg.solve_triangular(L, diff, upper=False)
    return -0.5 * (X.shape[1] * math.log(2 * math.pi) + y.square().sum(dim=1)).T
