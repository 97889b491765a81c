# right: a loop over the shifts that copies the overlapping part into an image of zeros
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    height, width = x.shape[-2:]
    out = []
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            moved = torch.zeros_like(x)
            # target rows [max(dy, 0), height + min(dy, 0)) come from source rows shifted back by dy
            moved[..., max(dy, 0) : height + min(dy, 0), max(dx, 0) : width + min(dx, 0)] = x[
                ..., max(-dy, 0) : height + min(-dy, 0), max(-dx, 0) : width + min(-dx, 0)
            ]
            out.append(moved)
    return torch.cat(out, dim=0)
