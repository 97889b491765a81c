# right: pad with zeros once, then cut out one window per (dy, dx), the shifts in itertools.product order
import itertools

import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    s = max_shift
    height, width = x.shape[-2:]
    padded = torch.nn.functional.pad(x, (s, s, s, s))  # zeros around every image
    copies = []
    for dy, dx in itertools.product(range(-s, s + 1), repeat=2):
        copies.append(padded[..., s + dy : s + dy + height, s + dx : s + dx + width])
    return torch.cat(copies)
