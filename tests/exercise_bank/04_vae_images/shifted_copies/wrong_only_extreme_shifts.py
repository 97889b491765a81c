# wrong: moves by -s, 0 and +s only, skipping the shifts in between (right for max_shift = 1 only)
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    s = max_shift
    height, width = x.shape[-2:]
    padded = torch.nn.functional.pad(x, (s, s, s, s))
    shifts = sorted({-s, 0, s})
    return torch.cat([padded[..., s + dy : s + dy + height, s + dx : s + dx + width] for dy in shifts for dx in shifts])
