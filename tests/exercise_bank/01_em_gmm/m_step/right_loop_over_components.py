# right: a loop over the components with outer products summed point by point
import torch


def m_step(X, resp, reg_covar=1e-6):
    N, D = X.shape
    weights, means, covariances = [], [], []
    for k in range(resp.shape[1]):
        g = resp[:, k]
        n_k = g.sum()
        mu = (g[:, None] * X).sum(dim=0) / n_k
        cov = torch.zeros(D, D, dtype=X.dtype)
        for n in range(N):
            d = X[n] - mu
            cov += g[n] * torch.outer(d, d)
        weights.append(n_k / N)
        means.append(mu)
        covariances.append(cov / n_k + reg_covar * torch.eye(D, dtype=X.dtype))
    return torch.stack(weights), torch.stack(means), torch.stack(covariances)
