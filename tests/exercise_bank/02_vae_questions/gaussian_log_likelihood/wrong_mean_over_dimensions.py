# wrong: averaged over the D dimensions instead of summed
import math

import torch


def gaussian_log_likelihood(x, mu_x, log_sigma_x):
    return (-0.5 * ((x - mu_x) / torch.exp(log_sigma_x)) ** 2 - log_sigma_x - 0.5 * math.log(2 * math.pi)).mean(dim=-1)
