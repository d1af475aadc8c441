#!/usr/bin/env python3
"""Writes the GGUF parity fixtures of models/gguf and models (run once; outputs are committed).

1. models/gguf/testdata/types.gguf + types_ref.safetensors: one small tensor of every type the Go
   reader dequantizes, written by llama.cpp's own gguf-py (GGUFWriter). F32/F16/BF16 and the
   legacy quants (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) are quantized from random data by gguf-py's
   quantizers; gguf-py has no K-quant quantizer, so Q4_K, Q5_K and Q6_K blocks are random bytes
   with finite float16 scales (every bit pattern of the packed fields is then exercised). The
   reference values are gguf-py's dequantization of the tensors read back with GGUFReader.
2. models/testdata/gguf/<arch>.gguf: the golden checkpoints of models/testdata/golden (llama,
   qwen2, gpt2, starcoder2) converted by llama.cpp's convert_hf_to_gguf.py (from the
   llama-cpp-python sdist's vendor/llama.cpp; pass its folder as --llama-cpp) to F32, plus
   llama as Q8_0, so the Go loader is checked against llama.cpp's own converter (q/k row
   permutation, GPT-2's transposed Conv1D weights, tensor names, metadata keys).
3. models/testdata/smollm2/tensors.json: for every tensor of the SmolLM2 GGUF, its type, shape
   and the SHA-256 of gguf-py's dequantized float32 values (little endian), for the bitwise test
   of the Go dequantizer on the real file (pass the file as --smollm2).

Usage: PY=$(bash scripts/ref/setup.sh)
       $PY scripts/ref/gguf_fixtures.py --llama-cpp DIR --smollm2 FILE.gguf
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as Q
from gguf.quants import quantize, dequantize
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parents[2]


def types_fixture(out_dir: Path) -> None:
    rng = np.random.default_rng(20261205)
    w = gguf.GGUFWriter(str(out_dir / "types.gguf"), arch="pttrust-types")
    w.add_string("pttrust.purpose", "dequantization parity fixture")
    ref = {}
    shape = (3, 256)  # rows of 256: a whole number of blocks for every type
    for qt in (Q.F32, Q.F16, Q.BF16, Q.Q4_0, Q.Q4_1, Q.Q5_0, Q.Q5_1, Q.Q8_0):
        x = rng.normal(0, 1, size=shape).astype(np.float32)
        x[0, :4] = [0.0, -0.0, 1e-6, -65000.0]  # zero, negative zero, an f16 subnormal, a large value
        if qt == Q.F32:
            data = x
        elif qt == Q.F16:
            data = x.astype(np.float16)
        else:
            data = quantize(x, qt)
        name = f"t_{qt.name.lower()}"
        w.add_tensor(name, data, raw_dtype=qt if qt not in (Q.F32, Q.F16) else None)
    block_bytes = {Q.Q4_K: 144, Q.Q5_K: 176, Q.Q6_K: 210}
    scale_at = {Q.Q4_K: [0, 2], Q.Q5_K: [0, 2], Q.Q6_K: [208]}  # float16 fields of each block
    for qt, size in block_bytes.items():
        n_blocks = shape[0] * shape[1] // 256
        raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
        for off in scale_at[qt]:
            f16 = rng.uniform(-0.05, 0.05, size=n_blocks).astype(np.float16)
            raw[:, off:off + 2] = f16.view(np.uint8).reshape(n_blocks, 2)
        raw = raw.reshape(shape[0], -1)
        w.add_tensor(f"t_{qt.name.lower()}", raw, raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    r = gguf.GGUFReader(str(out_dir / "types.gguf"))
    for t in r.tensors:
        ref[t.name] = np.ascontiguousarray(dequantize(t.data, t.tensor_type).astype(np.float32))
    save_file(ref, str(out_dir / "types_ref.safetensors"), metadata={"made_by": f"gguf-py {gguf.__version__ if hasattr(gguf, '__version__') else '0.19.0'} dequantize"})
    print("wrote", out_dir / "types.gguf", {k: v.shape for k, v in ref.items()})


def convert_golden(llama_cpp: Path, out_dir: Path) -> None:
    golden = ROOT / "models/testdata/golden"
    driver = (
        "import sys\n"
        f"sys.path.insert(0, {str(llama_cpp)!r})\n"
        f"sys.path.insert(0, {str(llama_cpp / 'gguf-py')!r})  # the converter's own gguf-py\n"
        "import conversion.base as base\n"
        # The golden models have a 256-token byte-level vocabulary llama.cpp's hash table cannot
        # know: name GPT-2's pre-tokenizer (its regex is the one their tokenizer.json uses).
        "base.TextModel.get_vocab_base_pre = lambda self, tokenizer: 'gpt2'\n"
        # transformers 5 picks the architecture's tokenizer class, which adds special tokens the
        # 256-token golden vocabulary does not have: read tokenizer.json as it is.
        "import transformers, os\n"
        "transformers.AutoTokenizer.from_pretrained = staticmethod(lambda d, **kw: "
        "transformers.PreTrainedTokenizerFast(tokenizer_file=os.path.join(d, 'tokenizer.json')))\n"
        "import convert_hf_to_gguf\n"
        "sys.argv = ['convert_hf_to_gguf.py'] + sys.argv[1:]\n"
        "convert_hf_to_gguf.main()\n"
    )
    jobs = [("llama", "f32"), ("qwen2", "f32"), ("gpt2", "f32"), ("starcoder2", "f32"), ("llama", "q8_0")]
    for arch, outtype in jobs:
        out = out_dir / (f"{arch}.gguf" if outtype == "f32" else f"{arch}_{outtype}.gguf")
        env = dict(os.environ, NO_LOCAL_GGUF="1")  # the path is set by the driver
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / arch
            shutil.copytree(golden / arch, src)
            subprocess.run([sys.executable, "-c", driver, "--outtype", outtype, "--outfile", str(out), str(src)],
                           check=True, env=env, cwd=str(llama_cpp), stdout=subprocess.DEVNULL)
        print("wrote", out, out.stat().st_size, "bytes")


def smollm2_tensors(path: Path, out: Path) -> None:
    r = gguf.GGUFReader(str(path))
    rows = {}
    for t in r.tensors:
        x = np.ascontiguousarray(dequantize(t.data, t.tensor_type).astype("<f4"))
        rows[t.name] = {"type": t.tensor_type.name, "shape": list(x.shape),
                        "sha256": hashlib.sha256(x.tobytes()).hexdigest(),
                        "first": [float(v) for v in x.reshape(-1)[:4]]}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"file": path.name, "file_sha256": sha256_file(path), "tensors": rows}, indent=1) + "\n")
    print("wrote", out, len(rows), "tensors")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llama-cpp", type=Path, help="llama.cpp source folder (with convert_hf_to_gguf.py)")
    ap.add_argument("--smollm2", type=Path, help="the SmolLM2 .gguf (scripts/models/smollm2.sh)")
    a = ap.parse_args()
    types_fixture(ROOT / "models/gguf/testdata")
    if a.llama_cpp:
        (ROOT / "models/testdata/gguf").mkdir(parents=True, exist_ok=True)
        convert_golden(a.llama_cpp, ROOT / "models/testdata/gguf")
    if a.smollm2:
        smollm2_tensors(a.smollm2, ROOT / "models/testdata/smollm2/tensors.json")


if __name__ == "__main__":
    main()
