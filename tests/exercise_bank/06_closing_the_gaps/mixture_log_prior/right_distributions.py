# right: torch.distributions, component by component, then a max-shifted log-sum-exp written out
import torch


def mixture_log_prior(z, means, log_sigmas, logits):
    log_pi = logits - torch.logsumexp(logits, dim=0)
    columns = []
    for c in range(len(means)):
        normal = torch.distributions.Normal(means[c], torch.exp(log_sigmas[c]))
        columns.append(normal.log_prob(z).sum(dim=1) + log_pi[c])
    terms = torch.stack(columns, dim=1)  # (N, C)
    top = terms.max(dim=1, keepdim=True).values
    return top.squeeze(1) + torch.log(torch.exp(terms - top).sum(dim=1))
