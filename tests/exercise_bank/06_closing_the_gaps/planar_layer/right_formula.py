# right: f(z) = z + u tanh(wᵀz + b), log|1 + h'(a) uᵀw| with h' = 1 − tanh²
import torch


def planar_layer(z, u, w, b):
    a = z @ w + b
    h = torch.tanh(a)
    f_z = z + u * h.unsqueeze(-1)
    log_det = torch.log(torch.abs(1 + (1 - h**2) * (u @ w)))
    return f_z, log_det
