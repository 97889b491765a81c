# wrong: beta is not passed to loss_terms (every run trains the plain ELBO)
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
            terms = model.loss_terms(x_train[idx])
            optimizer.zero_grad()
            terms["loss"].mean().backward()
            optimizer.step()
            for name, values in terms.items():
                sums[name] = sums.get(name, 0.0) + values.detach().double().sum().item()
        for name, total in sums.items():
            history.setdefault(name, []).append(total / len(x_train))
    model.eval()
    return history
