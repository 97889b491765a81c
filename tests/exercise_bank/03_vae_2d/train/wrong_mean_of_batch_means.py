# wrong: the epoch's figure is the mean of the batch means (the smaller last batch counts as much as a full one)
import torch


def train(model, x_train, *, epochs: int, batch_size: int, lr: float, seed: int = 0, beta: float = 1.0) -> dict:
    """Adam on mean(loss_terms(x)["loss"]) over mini-batches; returns {term: [epoch means]} (nats)."""
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = {}
    for _ in range(epochs):
        model.train()
        sums = {}
        for idx in torch.randperm(len(x_train), generator=order).split(batch_size):
            terms = model.loss_terms(x_train[idx], beta=beta)
            optimizer.zero_grad()
            terms["loss"].mean().backward()
            optimizer.step()
            for name, values in terms.items():
                sums[name] = sums.get(name, []) + [values.detach().double().mean().item()]
        for name, total in sums.items():
            history.setdefault(name, []).append(sum(total) / len(total))
    model.eval()
    return history
