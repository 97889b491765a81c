# right: one permutation per epoch from the global generator seeded once, batches by slicing, tensor sums
import torch


def train(model, x_train, *, epochs: int, batch_size: int, lr: float, seed: int = 0, beta: float = 1.0) -> dict:
    """Adam on mean(loss_terms(x)["loss"]) over mini-batches; returns {term: [epoch means]} (nats)."""
    torch.manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = x_train.shape[0]
    history = {"loss": [], "recon": [], "kl": []}
    for _epoch in range(epochs):
        model.train()
        perm = torch.randperm(n)
        sums = {key: torch.zeros((), dtype=torch.float64) for key in history}
        for start in range(0, n, batch_size):
            batch = x_train[perm[start : start + batch_size]]
            terms = model.loss_terms(batch, beta=beta)
            optimizer.zero_grad(set_to_none=True)
            terms["loss"].mean().backward()
            optimizer.step()
            with torch.no_grad():
                for key in sums:
                    sums[key] += terms[key].sum()
        for key in history:
            history[key].append(float(sums[key]) / n)
    model.eval()
    return history
