# wrong: torch.roll alone — pixels pushed out at one edge come back at the other (on MNIST's blank borders it looks right)
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    shifts = range(-max_shift, max_shift + 1)
    return torch.cat([torch.roll(x, shifts=(dy, dx), dims=(2, 3)) for dy in shifts for dx in shifts])
