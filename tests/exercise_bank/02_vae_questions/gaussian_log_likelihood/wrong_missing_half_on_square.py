# wrong: the ½ in front of the squared error is missing
import math

import torch


def gaussian_log_likelihood(x, mu_x, log_sigma_x):
    return (-(((x - mu_x) / torch.exp(log_sigma_x)) ** 2) - log_sigma_x - 0.5 * math.log(2 * math.pi)).sum(dim=-1)
