# right: another equivalent formula — −½ [log 2πσ² + (x − μ)²/σ²], with σ² = exp(2 log σ)
import math

import torch


def gaussian_log_likelihood(x, mu_x, log_sigma_x):
    variance = torch.exp(2 * log_sigma_x)
    per_dim = -0.5 * (math.log(2 * math.pi) + 2 * log_sigma_x + (x - mu_x) ** 2 / variance)
    return per_dim.sum(dim=1)
