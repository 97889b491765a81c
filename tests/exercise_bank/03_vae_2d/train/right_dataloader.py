# right: a DataLoader that shuffles with a seeded generator; epoch means weighted by the batch sizes
from collections import defaultdict

import torch
from torch.utils.data import DataLoader, TensorDataset


def train(model, x_train, *, epochs: int, batch_size: int, lr: float, seed: int = 0, beta: float = 1.0) -> dict:
    """Adam on mean(loss_terms(x)["loss"]) over mini-batches; returns {term: [epoch means]} (nats)."""
    torch.manual_seed(seed)
    loader = DataLoader(
        TensorDataset(x_train), batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed)
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = defaultdict(list)
    for _epoch in range(epochs):
        model.train()
        totals, count = defaultdict(float), 0
        for (x,) in loader:
            terms = model.loss_terms(x, beta)
            loss = terms["loss"].mean()
            model.zero_grad()
            loss.backward()
            optimizer.step()
            for name, values in terms.items():
                totals[name] += values.mean().item() * len(x)
            count += len(x)
        for name in totals:
            history[name].append(totals[name] / count)
    model.eval()
    return history
