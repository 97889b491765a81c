# right: a loop over the points, a stable log-sum-exp per row
import math

import torch


def e_step(X, weights, means, covariances):
    log_pdf = gaussian_log_pdf(X, means, covariances)
    rows, total = [], 0.0
    for n in range(X.shape[0]):
        a = [math.log(w) + v for w, v in zip(weights.tolist(), log_pdf[n].tolist())]
        top = max(a)
        log_px = top + math.log(sum(math.exp(v - top) for v in a))
        rows.append([v - log_px for v in a])
        total += log_px
    return torch.tensor(rows, dtype=log_pdf.dtype), total / X.shape[0]
