# wrong: h(a) in the determinant where its derivative h'(a) belongs
import torch


def planar_layer(z, u, w, b):
    h = torch.tanh(z @ w + b)
    return z + u * h[:, None], torch.log(torch.abs(1 + h * (u @ w)))
