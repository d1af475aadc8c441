// gen_golden_trained.mjs writes golden_trained.json: the token ids that Hugging Face's own
// Rust implementation computes with trained.tokenizer.json (written by this package's BPE
// trainer, see train_test.go's TestTrainFixture) for every file in corpus/ and for the short
// strings in CASES below, cross-checked with the pure-JavaScript port.
//
// It is NOT run by `go test`; the JSON it writes is committed. To regenerate (needs the npm
// registry once):
//
//   mkdir -p /tmp/hfnode && cd /tmp/hfnode && npm init -y
//   npm install tokenizers@0.23.2 @huggingface/tokenizers@0.2.0
//   cd /tmp/hfnode && node /path/to/models/tokenizer/testdata/gen_golden_trained.mjs
//
// "tokenizers" is the official Node binding of huggingface/tokenizers (Rust, Oniguruma regex,
// prebuilt .node binaries inside the package); "@huggingface/tokenizers" is tokenizers.js.
// Packages are resolved from the current directory's node_modules. The script fails if the
// two disagree or if decoding does not give back the text.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(process.cwd(), "noop.js"));
const rust = require("tokenizers");
const js = require("@huggingface/tokenizers");

// Short strings around line breaks, indentation and the split pattern's corner cases.
const CASES = [
  "",
  " ",
  "\n",
  "\r\n",
  "\r\r\n\n",
  "a  \n\n    return",
  "    return x",
  "\n\tif x {\n\t\treturn nil\n\t}\n",
  "x  ",
  "trailing   \n",
  "\t\tfoo()\r\n}\r\n",
  "don't DON'T it's",
  "x=1234567+89",
  "é 变量 = 1 Ω 👨‍👩‍👧‍👦",
  "\u00a0\u3000x\u2028y\u0085z\v\f",
  "<|endoftext|>",
  "a<|endoftext|>b\n",
];

function pkgVersion(pkg) {
  return JSON.parse(readFileSync(join(process.cwd(), "node_modules", pkg, "package.json"), "utf8")).version;
}

const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

const src = readFileSync(join(here, "trained.tokenizer.json"), "utf8");
const rt = rust.Tokenizer.fromString(src);
const jt = new js.Tokenizer(JSON.parse(src), {});

async function one(name, text) {
  const ids = Array.from((await rt.encode(text, null, { addSpecialTokens: false })).getIds());
  const jids = Array.from(jt.encode(text, { add_special_tokens: false }).ids);
  if (!same(ids, jids)) throw new Error(`${name}: Rust and JS ids differ`);
  if ((await rt.decode(ids, false)) !== text) throw new Error(`${name}: decode differs`);
  return { ids, ids_special: ids };
}

const out = {
  tokenizer: "trained.tokenizer.json",
  generated_by: {
    primary: `tokenizers@${pkgVersion("tokenizers")} (Rust, Node binding)`,
    cross_check: [`@huggingface/tokenizers@${pkgVersion("@huggingface/tokenizers")}`],
    node: process.version,
  },
  files: {},
  cases: [],
};
const corpusDir = join(here, "corpus");
for (const f of readdirSync(corpusDir).sort()) {
  out.files[f] = await one(f, readFileSync(join(corpusDir, f), "utf8"));
}
for (const c of CASES) {
  out.cases.push({ text: c, ...(await one(JSON.stringify(c), c)) });
}
writeFileSync(join(here, "golden_trained.json"), JSON.stringify(out) + "\n");
console.log(`trained: ${Object.keys(out.files).length} files, ${CASES.length} cases; Rust and JS agree`);
