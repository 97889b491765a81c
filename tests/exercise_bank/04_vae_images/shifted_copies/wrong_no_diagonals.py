# wrong: only the moves along one axis at a time (no diagonal shifts): 4s + 1 copies instead of (2s + 1)²
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    s = max_shift
    height, width = x.shape[-2:]
    padded = torch.nn.functional.pad(x, (s, s, s, s))
    offsets = [(0, 0)] + [(d, 0) for d in range(-s, s + 1) if d] + [(0, d) for d in range(-s, s + 1) if d]
    return torch.cat([padded[..., s + dy : s + dy + height, s + dx : s + dx + width] for dy, dx in offsets])
