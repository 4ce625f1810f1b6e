"""Regenerates torch_rrc_reference.npz: the official BYOL-A RandomResizeCrop forward
(zero canvas, crop, F.interpolate bicubic align_corners=True) on fixed inputs and crops.

Needs PyTorch (not a dependency of this project). Run: OUT=. python make_torch_rrc_reference.py
"""
import os, numpy as np, torch, torch.nn.functional as F
rng = np.random.default_rng(0)
x = rng.normal(size=(6, 64, 96)).astype(np.float32)
params = [(0, 64, 24, 96), (0, 38, 0, 57), (10, 50, 60, 84), (0, 64, 0, 144), (26, 38, 87, 57), (3, 61, 5, 139)]
outs = []
for b, (i, h, j, w) in enumerate(params):
    lms = torch.from_numpy(x[b:b+1])  # (1, F, T) as the official (C, F, T)
    canvas = torch.zeros((1, 64, 144), dtype=torch.float)
    top, left = (64 - 64) // 2, (144 - 96) // 2
    canvas[:, top:top+64, left:left+96] = lms
    crop = canvas[:, i:i+h, j:j+w]
    out = F.interpolate(crop.unsqueeze(0), size=(64, 96), mode="bicubic", align_corners=True).squeeze(0)
    outs.append(out.numpy()[0])
np.savez(os.path.join(os.environ["OUT"], "torch_rrc_reference.npz"), x=x, params=np.array(params), out=np.stack(outs))
print("torch", torch.__version__, "saved", np.stack(outs).shape)
