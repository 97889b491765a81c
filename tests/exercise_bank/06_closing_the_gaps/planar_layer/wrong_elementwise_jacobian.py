# wrong: a diagonal Jacobian, Σ_j log|1 + h'(a) u_j w_j|, as if each coordinate moved alone
import torch


def planar_layer(z, u, w, b):
    h = torch.tanh(z @ w + b)
    return z + u * h[:, None], torch.log(torch.abs(1 + (1 - h**2)[:, None] * u * w)).sum(dim=1)
