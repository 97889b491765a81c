# wrong: maximizes the reconstruction term only (the KL to the prior left out): q shrinks towards a point
import torch


def best_gaussian_q(model, x, steps: int, n_samples: int, lr: float):
    """The per-digit Gaussian q maximizing the ELBO, from the encoder's output: mu, log_sigma (batch, z_dim),
    and the mean −ELBO over the batch every 10 steps."""
    with torch.no_grad():
        mu_enc, log_sigma_enc = model.encode(x)
    mu = mu_enc.clone().requires_grad_()
    log_sigma = log_sigma_enc.clone().requires_grad_()
    optimizer = torch.optim.Adam([mu, log_sigma], lr=lr)
    trace = []
    for step in range(steps):
        z = mu + torch.exp(log_sigma) * torch.randn(n_samples, *mu.shape, dtype=mu.dtype)
        loss = -model.log_likelihood(x, z).mean(dim=0)  # (batch,)
        optimizer.zero_grad()
        loss.sum().backward()
        optimizer.step()
        if step % 10 == 0:
            trace.append(loss.mean().item())
    return mu.detach(), log_sigma.detach(), trace
