"""Classic seeding mistakes; the InitLens lens and hovers flag each one."""
import os

import numpy as np
import torch

os.environ["PYTHONHASHSEED"] = "0"  # too late: read at interpreter start-up
torch.cuda.manual_seed(0)  # current GPU only; CPU weights stay unseeded
torch.backends.cudnn.benchmark = True  # autotuning varies between runs

rng = np.random.default_rng()  # seeded from the OS
weights = torch.randn(3, 3)
