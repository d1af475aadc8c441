#!/usr/bin/env python3
"""Token ids of the SmolLM2 GGUF's tokenizer on models/testdata/smollm2/corpus, from two
independent implementations, into models/testdata/smollm2/tokens.json (committed):

- llama.cpp itself (llama-cpp-python, vocab_only), the GGUF's own runtime: tokenize(text,
  add_bos=False, special=True) — special-token literals in the text are matched, as Hugging Face
  tokenizers match them;
- the Hugging Face tokenizer transformers builds from the same GGUF (AutoTokenizer with
  gguf_file=), add_special_tokens=False.

The Go test (models/smollm2_test.go) requires pttrust's ids to equal llama.cpp's; where the two
references disagree the file records it and llama.cpp is followed.

Usage: $PY scripts/ref/smollm2_tokens.py FILE.gguf
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "models/testdata/smollm2/corpus"


def main() -> None:
    gguf_path = Path(sys.argv[1]).resolve()
    from llama_cpp import Llama, __version__ as llama_version
    import transformers
    from transformers import AutoTokenizer

    llm = Llama(model_path=str(gguf_path), vocab_only=True, verbose=False)
    hf = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    out = {"gguf": gguf_path.name, "llama_cpp_python": llama_version,
           "transformers": transformers.__version__, "files": {}}
    for f in sorted(CORPUS.iterdir()):
        text = f.read_bytes().decode("utf-8")
        ids_cpp = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        ids_hf = hf(text, add_special_tokens=False)["input_ids"]
        out["files"][f.name] = {"llama_cpp": ids_cpp, "hf": ids_hf, "agree": ids_cpp == ids_hf}
        print(f"{f.name:16s} {len(ids_cpp):5d} tokens  llama.cpp == HF: {ids_cpp == ids_hf}")
    (ROOT / "models/testdata/smollm2/tokens.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
