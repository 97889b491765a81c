# right: a loop over the K components, one Cholesky factor each, columns stacked
import math

import torch


def gaussian_log_pdf(X, means, covariances):
    columns = []
    for mean, cov in zip(means, covariances):
        L = torch.linalg.cholesky(cov)
        y = torch.linalg.solve_triangular(L, (X - mean).T, upper=False)  # (D, N)
        log_det = 2 * torch.log(torch.diagonal(L)).sum()
        columns.append(-0.5 * (X.shape[1] * math.log(2 * math.pi) + log_det + (y**2).sum(dim=0)))
    return torch.stack(columns, dim=1)
