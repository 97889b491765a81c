# right: literally one digit at a time — a separate Adam loop per example, the traces averaged afterwards
import torch

from seminar_utils import losses


def best_gaussian_q(model, x, steps: int, n_samples: int, lr: float):
    """The per-digit Gaussian q maximizing the ELBO, from the encoder's output: mu, log_sigma (batch, z_dim),
    and the mean −ELBO over the batch every 10 steps."""
    mus, log_sigmas, traces = [], [], []
    for i in range(len(x)):
        xi = x[i : i + 1]
        with torch.no_grad():
            mu, log_sigma = (t.clone() for t in model.encode(xi))
        mu.requires_grad_(True)
        log_sigma.requires_grad_(True)
        optimizer = torch.optim.Adam([mu, log_sigma], lr=lr)
        trace = []
        for step in range(steps):
            neg_elbo = -losses.elbo(xi, mu, log_sigma, model.log_likelihood, n_samples=n_samples).elbo[0]
            if step % 10 == 0:
                trace.append(neg_elbo.item())
            optimizer.zero_grad()
            neg_elbo.backward()
            optimizer.step()
        mus.append(mu.detach())
        log_sigmas.append(log_sigma.detach())
        traces.append(trace)
    per_step = torch.tensor(traces).mean(dim=0)  # (steps / 10,)
    return torch.cat(mus), torch.cat(log_sigmas), per_step.tolist()
