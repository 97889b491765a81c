# wrong: pads by repeating the edge pixels instead of zeros (the pixels that move in are not 0)
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    s = max_shift
    height, width = x.shape[-2:]
    padded = torch.nn.functional.pad(x, (s, s, s, s), mode="replicate")
    shifts = range(-s, s + 1)
    return torch.cat([padded[..., s + dy : s + dy + height, s + dx : s + dx + width] for dy in shifts for dx in shifts])
