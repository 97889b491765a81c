# wrong: the shifts act on the channel and row axes (dims 1, 2) instead of rows and columns (dims 2, 3)
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    copies = []
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            moved = torch.roll(x, shifts=(dy, dx), dims=(1, 2)).clone()
            if dx > 0:
                moved[:, :, :dx] = 0
            elif dx < 0:
                moved[:, :, dx:] = 0
            copies.append(moved)
    return torch.cat(copies)
