# right: torch.roll, then the rows and columns that wrapped around set to 0 (copies grouped per image)
import torch


def shifted_copies(x: torch.Tensor, max_shift: int = 1) -> torch.Tensor:
    """Every image (N, C, H, W) moved by each (dy, dx) in [-max_shift, max_shift]²: ((2s + 1)² N, C, H, W)."""
    copies = []
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            moved = torch.roll(x, shifts=(dy, dx), dims=(2, 3)).clone()
            if dy > 0:
                moved[:, :, :dy] = 0
            elif dy < 0:
                moved[:, :, dy:] = 0
            if dx > 0:
                moved[:, :, :, :dx] = 0
            elif dx < 0:
                moved[:, :, :, dx:] = 0
            copies.append(moved)
    return torch.stack(copies, dim=1).flatten(0, 1)  # image by image: the order is free
