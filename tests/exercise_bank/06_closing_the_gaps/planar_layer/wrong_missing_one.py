# wrong: det(I + u ψᵀ) taken as uᵀψ, forgetting the identity's 1
import torch


def planar_layer(z, u, w, b):
    h = torch.tanh(z @ w + b)
    return z + u * h[:, None], torch.log(torch.abs((1 - h**2) * (u @ w)))
