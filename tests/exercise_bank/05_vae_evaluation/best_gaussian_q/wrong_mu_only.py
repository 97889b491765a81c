# wrong: only the means are optimized; log σ stays the encoder's
import torch

from seminar_utils import losses


def best_gaussian_q(model, x, steps: int, n_samples: int, lr: float):
    """The per-digit Gaussian q maximizing the ELBO, from the encoder's output: mu, log_sigma (batch, z_dim),
    and the mean −ELBO over the batch every 10 steps."""
    with torch.no_grad():
        mu_enc, log_sigma = model.encode(x)
    mu = mu_enc.clone().requires_grad_()
    optimizer = torch.optim.Adam([mu], lr=lr)
    trace = []
    for step in range(steps):
        neg_elbo = -losses.elbo(x, mu, log_sigma, model.log_likelihood, n_samples=n_samples).elbo
        optimizer.zero_grad()
        neg_elbo.sum().backward()
        optimizer.step()
        if step % 10 == 0:
            trace.append(neg_elbo.mean().item())
    return mu.detach(), log_sigma.detach(), trace
