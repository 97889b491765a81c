# wrong: log_sigma_x taken for a log-variance
import math

import torch


def gaussian_log_likelihood(x, mu_x, log_sigma_x):
    per_dim = -0.5 * (x - mu_x) ** 2 / torch.exp(log_sigma_x) - 0.5 * log_sigma_x - 0.5 * math.log(2 * math.pi)
    return per_dim.sum(dim=-1)
