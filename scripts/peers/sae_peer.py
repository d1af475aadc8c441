"""Peer of the SAE row of `just bench-peers`: SAELens' TopK SAE (TopKTrainingSAE, its
training_forward_pass: MSE + TopK AuxK loss) trained on CPU on the same line states as pttrust
(the train lines of BenchmarkPeerSAE's split, which it writes with PTTRUST_PEERS_SAE_SPLIT: the
same lines pttrust trains on), with the step of SAELens' SAETrainer written out (dead mask from steps since firing, backward, grad-norm clip 1.0, Adam,
its LR scheduler: constant after a linear warm-up), for as many steps as pttrust ran, the same
width, k, batch size and lr. --decoder-init-norm is SAELens' decoder_init_norm (its default 0.1, the
"heuristic" initialisation; the encoder starts at the decoder's transpose, so with
rescale_acts_by_decoder_norm its effective scale is the square): run.sh tries 0.1, 0.3 and 1, as
pttrust's decoder_norm = "free" (the same parametrisation) does, each side choosing on validation;
then more --seed values at the chosen setting.

Diagnostic variants (not run by run.sh; they located the FVU gap, README "Against the peers"):
--unit-rows trains SAELens' code with pttrust's unit decoder rows (the gradient projected on each
row's tangent, the rows renormalised after each step; with --no-rescale and --decoder-init-norm 1
it is pttrust's parametrisation), --normalised-loss divides the loss by the batch's variance as
pttrust does, --clip sets the gradient clip (SAELens': 1.0).

Inputs are LayerNorm-normalised first, as pttrust's input_norm (SAELens' own "layer_norm" option
refuses its AuxK loss); b_dec starts at the mean of the first 4096 normalised lines (pttrust's
b_pre_init = "mean"). Dead latents: not fired for ceil(20000 / batch) steps (pttrust: 20 000
lines). Differences that stay: SAELens' AuxK takes d_in/2 dead latents (pttrust 64), its MSE is
not normalised by the variance, its decoder norm is folded into the activations
(rescale_acts_by_decoder_norm) where pttrust keeps unit rows. lines/s is over the steps after the
first; the FVUs are on each split's lines, in the normalised space, as pttrust's SAE.FVU (the
learning rate is chosen on val_fvu by scripts/peers/table.py, for both sides). Prints one JSON line.

  python sae_peer.py --split DIR --latents 128 --k 32 --batch 256 --lr 2e-4 --decoder-init-norm 0.1 \
    --steps 200 --threads 2
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import sae_lens
from sae_lens.saes.sae import TrainStepInput
from sae_lens.saes.topk_sae import TopKTrainingSAE, TopKTrainingSAEConfig
from sae_lens.training.optim import get_lr_scheduler


def load_split(d, split):
    """The lines of one split: <split>.f32, rows of dim little-endian float32s (split.json)."""
    with open(os.path.join(d, "split.json")) as f:
        meta = json.load(f)
    x = np.fromfile(os.path.join(d, split + ".f32"), dtype="<f4")
    if x.size != meta["rows"][split] * meta["dim"]:
        raise SystemExit(f"{d}/{split}.f32: {x.size} values, split.json says {meta['rows'][split]} rows of {meta['dim']}")
    x = torch.from_numpy(x.reshape(meta["rows"][split], meta["dim"]).copy())
    return torch.nn.functional.layer_norm(x, x.shape[-1:], eps=1e-5)  # pttrust's input_norm


def line_sse(sae, x):
    """Each line's squared reconstruction error (the terms of fvu's numerator), for table.py's
    paired bootstrap against pttrust's."""
    with torch.no_grad():
        return ((sae(x) - x).double() ** 2).sum(-1).tolist()


def fvu(sae, x):
    with torch.no_grad():
        xh = sae(x)
        return float(((xh - x) ** 2).sum() / ((x - x.mean(0)) ** 2).sum())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", required=True, help="BenchmarkPeerSAE's split (PTTRUST_PEERS_SAE_SPLIT)")
    ap.add_argument("--latents", type=int, required=True)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--decoder-init-norm", type=float, default=0.1, help="SAELens' decoder_init_norm")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--steps", type=int, required=True)
    ap.add_argument("--aux-coef", type=float, default=1 / 32)
    ap.add_argument("--dead-after-lines", type=int, default=20000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-rescale", action="store_true", help="rescale_acts_by_decoder_norm = False")
    ap.add_argument("--unit-rows", action="store_true", help="pttrust's unit decoder rows")
    ap.add_argument("--normalised-loss", action="store_true", help="the loss divided by the batch's variance")
    ap.add_argument("--clip", type=float, default=1.0, help="gradient clip (global norm)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    x = load_split(a.split, "train")
    n, d = x.shape
    cfg = TopKTrainingSAEConfig(d_in=d, d_sae=a.latents, k=a.k, aux_loss_coefficient=a.aux_coef,
                                decoder_init_norm=a.decoder_init_norm, normalize_activations="none",
                                rescale_acts_by_decoder_norm=not a.no_rescale, dtype="float32", device="cpu")
    sae = TopKTrainingSAE(cfg)
    with torch.no_grad():
        sae.b_dec.copy_(x[:4096].mean(0))
    opt = torch.optim.Adam(sae.parameters(), lr=a.lr, betas=(0.9, 0.999))
    sched = get_lr_scheduler("constant", optimizer=opt, training_steps=a.steps, lr=a.lr,
                             warm_up_steps=a.warmup, decay_steps=0, lr_end=a.lr, num_cycles=1)
    dead_window = math.ceil(a.dead_after_lines / a.batch)
    since_fired = torch.zeros(a.latents)
    gen = torch.Generator().manual_seed(a.seed)
    perm, pos, lines, t1 = torch.randperm(n, generator=gen), 0, 0, None
    sae.train()
    for step in range(a.steps):
        if pos >= n:
            perm, pos = torch.randperm(n, generator=gen), 0
        xb = x[perm[pos: pos + a.batch]]
        pos += a.batch
        out = sae.training_forward_pass(TrainStepInput(
            sae_in=xb, coefficients={}, dead_neuron_mask=(since_fired > dead_window).bool(),
            n_training_steps=step, is_logging_step=False))
        with torch.no_grad():
            fired = out.feature_acts.bool().float().sum(-2).bool()
            since_fired += 1
            since_fired[fired] = 0
        loss = out.loss
        if a.normalised_loss:  # pttrust's: the squared error over the batch's total variance
            loss = loss / ((xb - xb.mean(0)) ** 2).sum(-1).mean().detach()
        loss.backward()
        if a.unit_rows:  # pttrust's tangent projection of the decoder's gradient
            with torch.no_grad():
                w = sae.W_dec
                w.grad -= (w.grad * w).sum(-1, keepdim=True) * w
        torch.nn.utils.clip_grad_norm_(sae.parameters(), a.clip)
        opt.step()
        opt.zero_grad()
        if a.unit_rows:  # and its renormalisation
            with torch.no_grad():
                sae.W_dec.data /= sae.W_dec.norm(dim=-1, keepdim=True)
        sched.step()
        if step == 0:
            t1 = time.perf_counter()  # the first step (allocation, warm-up) is not timed
        else:
            lines += len(xb)
    sec = time.perf_counter() - t1
    sae.eval()
    xt = load_split(a.split, "test")
    print(json.dumps({
        "row": "sae", "side": "peer", "peer": "SAELens TopK", "version": f"sae-lens {sae_lens.__version__}, torch {torch.__version__}",
        "latents": a.latents, "k": a.k, "batch": a.batch, "lr": a.lr,
        "decoder_init_norm": a.decoder_init_norm, "seed": a.seed,
        "variant": " ".join(f for f, on in (("no-rescale", a.no_rescale), ("unit-rows", a.unit_rows),
                                            ("normalised-loss", a.normalised_loss)) if on)
        + (f" clip {a.clip:g}" if a.clip != 1.0 else ""), "steps": a.steps, "data_lines": n,
        "threads": a.threads, "lines_per_s": lines / sec, "train_fvu": fvu(sae, x),
        "val_fvu": fvu(sae, load_split(a.split, "validation")), "test_fvu": fvu(sae, xt),
        "test_sse": line_sse(sae, xt)}))


if __name__ == "__main__":
    main()
