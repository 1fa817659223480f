"""A deep ReLU MLP: 51 layers, the histogram panel's overview at full size."""
import torch.nn as nn
import torch.nn.functional as F


class DeepMLP(nn.Module):
    def __init__(self, width: int = 512, depth: int = 50):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(width, width) for _ in range(depth)])
        self.head = nn.Linear(width, 10)

    def forward(self, x):
        for block in self.blocks:
            x = F.relu(block(x))
        return self.head(x)
