# right: the ELBO written out (reparameterized draws (n_samples, batch, z_dim), closed-form KL), the batch mean minimized
import torch


def best_gaussian_q(model, x, steps: int, n_samples: int, lr: float):
    """The per-digit Gaussian q maximizing the ELBO, from the encoder's output: mu, log_sigma (batch, z_dim),
    and the mean −ELBO over the batch every 10 steps."""
    mu0, log_sigma0 = model.encode(x)
    mu = torch.nn.Parameter(mu0.detach().clone())
    log_sigma = torch.nn.Parameter(log_sigma0.detach().clone())
    optimizer = torch.optim.Adam([mu, log_sigma], lr=lr)
    trace = []
    for step in range(steps):
        eps = torch.randn(n_samples, *mu.shape, dtype=mu.dtype)
        z = mu + torch.exp(log_sigma) * eps  # (n_samples, batch, z_dim)
        reconstruction = model.log_likelihood(x, z).mean(dim=0)  # (batch,)
        kl = 0.5 * (mu**2 + torch.exp(2 * log_sigma) - 1).sum(-1) - log_sigma.sum(-1)
        loss = (kl - reconstruction).mean()  # Adam: the mean moves each q as the sum does
        if step % 10 == 0:
            trace.append(loss.item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return mu.detach(), log_sigma.detach(), trace
