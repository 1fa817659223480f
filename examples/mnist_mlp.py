"""A small PyTorch MLP for MNIST: the running example of the InitLens README."""
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(42)


class MLP(nn.Module):
    def __init__(self, hidden: int = 256):
        super().__init__()
        self.fc1 = nn.Linear(784, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 10)

    def forward(self, x):
        x = F.relu(self.fc1(x.flatten(1)))
        x = torch.tanh(self.fc2(x))
        return self.out(x)


model = MLP()
batch = np.random.rand(32, 784).astype("float32")
print(random.random(), model(torch.from_numpy(batch)).shape)
