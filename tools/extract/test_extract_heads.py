"""Tests of bin/extract-heads (tools/extract/extract_heads.py), all offline.

Tiny models are built from configs with seeded random weights, with a tokenizer trained on the test text, and saved
with save_pretrained to a temporary folder; the tool runs on that folder (through bin/extract-heads as a subprocess
once, in-process otherwise). Run from the repository root:

    $(bin/python-env tools/extract/requirements.txt) -m unittest discover -s tools/extract -p 'test_*.py' -v
"""

import contextlib
import hashlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import extract_heads as eh  # noqa: E402

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()

WORDS = ("the quick brown fox jumps over a lazy dog while seven wizards quietly hex every jolly "
         "brave knight who fights for the freedom to share and change all versions of a program").split()
# a deterministic ~400-word text
TEXT = " ".join(WORDS[(i * 7 + i // 5) % len(WORDS)] for i in range(400)) + ".\n"
N = 24
EXPECTED_COLUMNS = ["file_prefix", "layer", "head", "kv_head", "n", "head_dim", "value_dim", "scale", "causal",
                    "mean_row_entropy_nats", "max_entropy_nats", "self_check_max_abs_error"]


def make_tokenizer(folder, style):
    """A tokenizer trained on TEXT, saved to folder: 'bert' adds [CLS] ... [SEP], 'llama' adds <s>, 'gpt2' is
    byte-level BPE and adds nothing (like GPT-2's own)."""
    if style == "gpt2":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        tok.train_from_iterator([TEXT], trainers.BpeTrainer(
            vocab_size=300, special_tokens=["<|endoftext|>"], show_progress=False,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
        fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<|endoftext|>",
                                                    eos_token="<|endoftext|>", unk_token="<|endoftext|>")
    else:
        specials = ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"] if style == "bert" else ["<unk>", "<s>", "</s>"]
        tok = Tokenizer(models.WordLevel(unk_token=specials[0]))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tok.train_from_iterator([TEXT], trainers.WordLevelTrainer(special_tokens=specials, show_progress=False))
        if style == "bert":
            tok.post_processor = processors.TemplateProcessing(
                single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
            fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                                        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
        else:
            tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
            fast = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", bos_token="<s>",
                                                        eos_token="</s>")
    fast.save_pretrained(folder)
    return fast


def build_model(folder, kind, **overrides):
    """Saves a tiny seeded model of `kind` and its tokenizer to folder; returns the tokenizer."""
    style = {"gpt2": "gpt2", "bert": "bert"}.get(kind, "llama")
    tokenizer = make_tokenizer(folder, style)
    vocab = len(tokenizer)
    torch.manual_seed(1234)
    if kind == "gpt2":
        kw = dict(vocab_size=vocab, n_embd=32, n_layer=2, n_head=4, n_positions=64, initializer_range=0.3,
                  bos_token_id=0, eos_token_id=0)
        kw.update(overrides)
        model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**kw))
    elif kind == "llama":
        kw = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, initializer_range=0.3,
                  bos_token_id=1, eos_token_id=2, pad_token_id=None)
        kw.update(overrides)
        model = transformers.LlamaForCausalLM(transformers.LlamaConfig(**kw))
    elif kind == "bert":
        kw = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, max_position_embeddings=64, initializer_range=0.3, pad_token_id=1)
        kw.update(overrides)
        model = transformers.BertModel(transformers.BertConfig(**kw))
    elif kind == "gpt_oss":  # attention sinks: plain softmax(scale QK^T) cannot reproduce it
        kw = dict(vocab_size=vocab, hidden_size=32, intermediate_size=32, num_hidden_layers=2, head_dim=8,
                  num_attention_heads=4, num_key_value_heads=2, num_local_experts=2, num_experts_per_tok=1,
                  max_position_embeddings=64, initializer_range=0.3, sliding_window=128, bos_token_id=1,
                  eos_token_id=2, pad_token_id=None)
        kw.update(overrides)
        model = transformers.GptOssForCausalLM(transformers.GptOssConfig(**kw))
        with torch.no_grad():
            for layer in model.model.layers:
                layer.self_attn.sinks.fill_(3.0)
    elif kind == "gemma3":  # scale query_pre_attn_scalar**-0.5 = 0.25, not head_dim**-0.5
        kw = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, head_dim=8,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, initializer_range=0.3,
                  query_pre_attn_scalar=16, sliding_window=128, bos_token_id=1, eos_token_id=2, pad_token_id=0)
        kw.update(overrides)
        model = transformers.Gemma3ForCausalLM(transformers.Gemma3TextConfig(**kw))
    elif kind == "mistral":  # sliding-window attention
        kw = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, initializer_range=0.3,
                  sliding_window=4, bos_token_id=1, eos_token_id=2, pad_token_id=None)
        kw.update(overrides)
        model = transformers.MistralForCausalLM(transformers.MistralConfig(**kw))
    else:
        raise ValueError(kind)
    model.save_pretrained(folder)
    return tokenizer


def run_tool(*argv):
    """Runs the tool in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = eh.main([str(a) for a in argv])
    return rc, out.getvalue(), err.getvalue()


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    cols = lines[0].split("\t")
    return cols, [dict(zip(cols, ln.split("\t"))) for ln in lines[1:]]


def reference_attention(q, k, v, scale, causal):
    """softmax(scale Q K^T + mask) V in float64, written independently of the tool."""
    s = scale * (q.astype(np.float64) @ k.astype(np.float64).T)
    if causal:
        s = s + np.triu(np.full(s.shape, -np.inf), 1)
    p = np.exp(s - s.max(axis=1, keepdims=True))
    return (p / p.sum(axis=1, keepdims=True)) @ v.astype(np.float64)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class ModelProbe:
    """Loads a saved model the ordinary way (its default attention) and records, with forward hooks on the
    projections, the pre-RoPE Q/K, V and each layer's attention output before the output projection."""

    def __init__(self, folder):
        self.model = transformers.AutoModel.from_pretrained(folder, dtype=torch.float32).eval()
        self.rec = {}

    def _save(self, key):
        def hook(module, inputs, output=None):
            value = output if output is not None else inputs[0]
            value = value[0] if isinstance(value, tuple) else value
            self.rec[key] = value[0].detach().clone()
        return hook

    def run(self, ids):
        m, hooks = self.model, []
        kind = m.config.model_type
        if kind == "gpt2":
            for i, block in enumerate(m.h):
                hooks.append(block.attn.c_attn.register_forward_hook(self._save(("qkv", i))))
                hooks.append(block.attn.c_proj.register_forward_pre_hook(self._save(("out", i))))
        elif kind == "bert":
            for i, layer in enumerate(m.encoder.layer):
                sa = layer.attention.self
                hooks.append(sa.query.register_forward_hook(self._save(("q", i))))
                hooks.append(sa.key.register_forward_hook(self._save(("k", i))))
                hooks.append(sa.value.register_forward_hook(self._save(("v", i))))
                hooks.append(sa.register_forward_hook(self._save(("out", i))))
        else:
            for i, layer in enumerate(m.layers):
                at = layer.self_attn
                hooks.append(at.q_proj.register_forward_hook(self._save(("q", i))))
                hooks.append(at.k_proj.register_forward_hook(self._save(("k", i))))
                hooks.append(at.v_proj.register_forward_hook(self._save(("v", i))))
                hooks.append(at.o_proj.register_forward_pre_hook(self._save(("out", i))))
        try:
            with torch.no_grad():
                m(input_ids=torch.tensor([ids]))
        finally:
            for h in hooks:
                h.remove()
        return self

    def head_out(self, layer, head, dv):
        return self.rec[("out", layer)][:, head * dv:(head + 1) * dv].numpy()


class ExtractHeadsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="extract-heads-test-")
        cls.text = os.path.join(cls.tmp, "text.txt")
        with open(cls.text, "w", encoding="utf-8") as f:
            f.write(TEXT)
        cls.folders, cls.tokenizers = {}, {}
        for kind in ("gpt2", "llama", "bert"):
            folder = os.path.join(cls.tmp, f"tiny-{kind}")
            cls.tokenizers[kind] = build_model(folder, kind)
            cls.folders[kind] = folder
        cls.ids = {k: t(TEXT)["input_ids"] for k, t in cls.tokenizers.items()}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def out_dir(self):
        d = tempfile.mkdtemp(prefix="out-", dir=self.tmp)
        os.rmdir(d)  # the tool creates it
        return d

    def extract(self, kind, *extra, n=N, expect_rc=0):
        out = self.out_dir()
        rc, stdout, stderr = run_tool(self.folders[kind], "--text", self.text, "--n", n, "--out", out, *extra)
        self.assertEqual(rc, expect_rc, stderr)
        if expect_rc == 0:
            self.assertEqual(stderr, "")
        return out, stdout, stderr

    # ---- shared checks ----------------------------------------------------------------------------------------

    def check_folder(self, out, name, layers, heads, n, head_dim, value_dim, causal, scales, kv_heads=None,
                     offset=0, kind=None):
        """Files, shapes, dtypes, heads.tsv and manifest.json of a run; returns the heads.tsv rows."""
        prefixes = [f"{name}_L{l}_H{h}_n{n}" for l in layers for h in heads]
        expected_files = {f"{p}_{x}.npy" for p in prefixes for x in "qkv"} | {"heads.tsv", "manifest.json"}
        self.assertEqual(set(os.listdir(out)), expected_files)
        for p in prefixes:
            for part, dim in (("q", head_dim), ("k", head_dim), ("v", value_dim)):
                a = np.load(os.path.join(out, f"{p}_{part}.npy"))
                self.assertEqual(a.dtype, np.dtype("<f4"))
                self.assertEqual(a.shape, (n, dim))
                self.assertTrue(a.flags["C_CONTIGUOUS"])
                self.assertTrue(np.isfinite(a).all())
        cols, rows = read_tsv(os.path.join(out, "heads.tsv"))
        self.assertEqual(cols, EXPECTED_COLUMNS)
        self.assertEqual([r["file_prefix"] for r in rows], prefixes)
        for r in rows:
            layer, head = int(r["layer"]), int(r["head"])
            self.assertEqual(r["file_prefix"], f"{name}_L{layer}_H{head}_n{n}")
            self.assertEqual(int(r["kv_head"]), kv_heads[head] if kv_heads else head)
            self.assertEqual((int(r["n"]), int(r["head_dim"]), int(r["value_dim"])), (n, head_dim, value_dim))
            self.assertAlmostEqual(float(r["scale"]), scales[layer], places=9)
            self.assertEqual(r["causal"], "true" if causal else "false")
            max_ent = float(r["max_entropy_nats"])
            expect_max = np.log(np.arange(1, n + 1)).mean() if causal else math.log(n)
            self.assertAlmostEqual(max_ent, expect_max, places=4)
            self.assertTrue(0.0 <= float(r["mean_row_entropy_nats"]) <= max_ent + 1e-4)
            self.assertLess(float(r["self_check_max_abs_error"]), 1e-4)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual(man["model"], self.folders[kind])
        self.assertEqual(man["model_source"], "folder")
        self.assertIsNone(man["revision"])
        self.assertEqual(man["transformers_version"], transformers.__version__)
        self.assertEqual(man["torch_version"], torch.__version__)
        self.assertEqual(man["model_type"], kind)
        self.assertEqual(man["text_file"], "text.txt")
        with open(self.text, "rb") as f:
            self.assertEqual(man["text_sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertEqual(man["text_tokens"], len(self.ids[kind]))
        self.assertEqual(man["token_range"], [offset, offset + n])
        self.assertEqual(man["token_ids"], self.ids[kind][offset:offset + n])
        self.assertIs(man["causal"], causal)
        self.assertEqual(man["scales"], sorted({scales[l] for l in layers}))
        self.assertEqual(man["attn_implementation"], "sdpa")
        self.assertEqual([h["file_prefix"] for h in man["heads"]], prefixes)
        self.assertLess(man["self_check_max_abs_error"], 1e-4)
        return rows

    def check_recomputation(self, out, rows, probe, causal, value_dim):
        """softmax(scale QK^T, mask) V from the files == the model's attention output seen by the test's hooks."""
        for r in rows:
            p = os.path.join(out, r["file_prefix"])
            q, k, v = (np.load(f"{p}_{x}.npy") for x in "qkv")
            got = reference_attention(q, k, v, float(r["scale"]), causal)
            want = probe.head_out(int(r["layer"]), int(r["head"]), value_dim)
            self.assertLess(np.abs(got - want).max(), 1e-4, r["file_prefix"])
            # and a wrong mask would not pass: the check has teeth
            other = reference_attention(q, k, v, float(r["scale"]), not causal)
            self.assertGreater(np.abs(other - want).max(), 1e-3, r["file_prefix"])

    # ---- 1. GPT-2 ---------------------------------------------------------------------------------------------

    def test_gpt2_decoder_through_the_wrapper(self):
        out = self.out_dir()
        proc = subprocess.run(
            [os.path.join(ROOT, "bin", "extract-heads"), self.folders["gpt2"], "--text", "text.txt", "--n", str(N),
             "--out", os.path.relpath(out, self.tmp), "--name", "g2", "--layers", "0,1", "--heads", "1-2"],
            cwd=self.tmp, capture_output=True, text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        self.assertRegex(proc.stdout, r"^wrote 4 heads \(layers 0,1\) to .* max self-check error \d\.\d\de-\d\d")
        d = 8
        rows = self.check_folder(out, "g2", [0, 1], [1, 2], N, d, d, True, {0: d ** -0.5, 1: d ** -0.5},
                                 kind="gpt2")
        probe = ModelProbe(self.folders["gpt2"]).run(self.ids["gpt2"][:N])
        self.check_recomputation(out, rows, probe, True, d)
        # learned absolute positions: Q/K/V are exactly the c_attn projection split into heads
        for r in rows:
            layer, head = int(r["layer"]), int(r["head"])
            qkv = probe.rec[("qkv", layer)].numpy()
            for i, part in enumerate("qkv"):
                a = np.load(os.path.join(out, f"{r['file_prefix']}_{part}.npy"))
                np.testing.assert_allclose(a, qkv[:, i * 32 + head * d:i * 32 + (head + 1) * d], rtol=0, atol=1e-6)

    # ---- 2. Llama: RoPE and grouped-query attention -------------------------------------------------------------

    def test_llama_rope_and_grouped_query_heads(self):
        out, stdout, _ = self.extract("llama", "--name", "ll")
        self.assertIn("wrote 8 heads (layers 0,1)", stdout)
        d = 8
        rows = self.check_folder(out, "ll", [0, 1], [0, 1, 2, 3], N, d, d, True, {0: d ** -0.5, 1: d ** -0.5},
                                 kv_heads={0: 0, 1: 0, 2: 1, 3: 1}, kind="llama")
        ids = self.ids["llama"][:N]
        self.assertEqual(ids[0], 1)  # the tokenizer's BOS comes first
        probe = ModelProbe(self.folders["llama"]).run(ids)
        self.check_recomputation(out, rows, probe, True, d)
        pos = torch.arange(N)[None]
        cos, sin = probe.model.rotary_emb(torch.zeros(1, N, 32), pos)
        cos, sin = cos[0], sin[0]
        load = lambda l, h, x: np.load(os.path.join(out, f"ll_L{l}_H{h}_n{N}_{x}.npy"))  # noqa: E731
        for layer in (0, 1):
            q_pre = probe.rec[("q", layer)].view(N, 4, d)
            k_pre = probe.rec[("k", layer)].view(N, 2, d)
            v_pre = probe.rec[("v", layer)].view(N, 2, d)
            for head in range(4):
                kv = head // 2
                q_rope = (q_pre[:, head] * cos + rotate_half(q_pre[:, head]) * sin).numpy()
                k_rope = (k_pre[:, kv] * cos + rotate_half(k_pre[:, kv]) * sin).numpy()
                np.testing.assert_allclose(load(layer, head, "q"), q_rope, rtol=0, atol=1e-5)
                np.testing.assert_allclose(load(layer, head, "k"), k_rope, rtol=0, atol=1e-5)
                np.testing.assert_array_equal(load(layer, head, "v"), v_pre[:, kv].numpy())
                # RoPE is in: the dumped Q/K are not the raw projections (position 0 is RoPE's identity)
                np.testing.assert_allclose(load(layer, head, "q")[0], q_pre[0, head].numpy(), rtol=0, atol=1e-6)
                self.assertGreater(np.abs(load(layer, head, "q")[1:] - q_pre[1:, head].numpy()).max(), 1e-2)
                self.assertGreater(np.abs(load(layer, head, "k")[1:] - k_pre[1:, kv].numpy()).max(), 1e-2)
            # query heads 0,1 share kv head 0 and 2,3 share kv head 1
            np.testing.assert_array_equal(load(layer, 0, "k"), load(layer, 1, "k"))
            np.testing.assert_array_equal(load(layer, 2, "v"), load(layer, 3, "v"))
            self.assertGreater(np.abs(load(layer, 1, "k") - load(layer, 2, "k")).max(), 1e-2)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual((man["num_attention_heads"], man["num_key_value_heads"]), (4, 2))
        self.assertEqual(man["context_length"], 64)

    def test_llama_eager_and_offset(self):
        out, _, _ = self.extract("llama", "--attn-implementation", "eager", "--offset", "5", "--layers", "1",
                                 "--heads", "3", "--name", "lle")
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual(man["attn_implementation"], "eager")
        self.assertEqual(man["token_range"], [5, 5 + N])
        _, rows = read_tsv(os.path.join(out, "heads.tsv"))
        self.assertEqual([(r["file_prefix"], r["kv_head"], r["causal"]) for r in rows],
                         [(f"lle_L1_H3_n{N}", "1", "true")])
        probe = ModelProbe(self.folders["llama"]).run(self.ids["llama"][5:5 + N])
        self.check_recomputation(out, rows, probe, True, 8)

    # ---- 3. BERT: bidirectional encoder -------------------------------------------------------------------------

    def test_bert_encoder_is_bidirectional(self):
        out, _, _ = self.extract("bert", "--layers", "1", "--heads", "0,3")
        name = "tiny-bert"  # the folder's name is the default
        d = 8
        rows = self.check_folder(out, name, [1], [0, 3], N, d, d, False, {1: d ** -0.5}, kind="bert")
        ids = self.ids["bert"][:N]
        self.assertEqual(ids[0], 2)  # [CLS]
        probe = ModelProbe(self.folders["bert"]).run(ids)
        self.check_recomputation(out, rows, probe, False, d)
        for r in rows:
            h = int(r["head"])
            for part in "qkv":
                np.testing.assert_allclose(np.load(os.path.join(out, f"{r['file_prefix']}_{part}.npy")),
                                           probe.rec[(part, 1)][:, h * d:(h + 1) * d].numpy(), rtol=0, atol=1e-6)
        self.assertEqual(float(rows[0]["max_entropy_nats"]), round(math.log(N), 4))

    def test_bert_window_of_the_whole_text_ends_with_sep(self):
        total = len(self.ids["bert"])
        self.assertLess(total, 64 * 10)
        n = 40
        out, _, _ = self.extract("bert", "--offset", str(total - n), "--layers", "0", "--heads", "0", n=n)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual(man["token_range"], [total - n, total])
        self.assertEqual(man["token_ids"][-1], 3)  # [SEP]

    # ---- 5. a scale that is not 1/sqrt(head_dim) ----------------------------------------------------------------

    def test_gpt2_scale_by_inverse_layer_index(self):
        folder = os.path.join(self.tmp, "tiny-gpt2-inv")
        build_model(folder, "gpt2", scale_attn_by_inverse_layer_idx=True)
        out = self.out_dir()
        rc, _, err = run_tool(folder, "--text", self.text, "--n", N, "--out", out, "--heads", "0")
        self.assertEqual(rc, 0, err)
        _, rows = read_tsv(os.path.join(out, "heads.tsv"))
        scales = [float(r["scale"]) for r in rows]
        self.assertAlmostEqual(scales[0], 8 ** -0.5, places=9)
        self.assertAlmostEqual(scales[1], 8 ** -0.5 / 2, places=9)
        self.assertNotAlmostEqual(scales[1], 8 ** -0.5, places=3)
        self.assertEqual(rows[1]["scale"], "0.1767766953")
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertIsNone(man["scale"])
        self.assertEqual(len(man["scales"]), 2)
        probe = ModelProbe(folder).run(self.ids["gpt2"][:N])
        self.check_recomputation(out, rows, probe, True, 8)
        # with 1/sqrt(d) instead, layer 1 would not match the model
        p = os.path.join(out, rows[1]["file_prefix"])
        q, k, v = (np.load(f"{p}_{x}.npy") for x in "qkv")
        self.assertGreater(np.abs(reference_attention(q, k, v, 8 ** -0.5, True) - probe.head_out(1, 0, 8)).max(),
                           1e-3)

    def test_gemma3_query_pre_attn_scalar(self):
        folder = os.path.join(self.tmp, "tiny-gemma3")
        build_model(folder, "gemma3")
        out = self.out_dir()
        rc, _, err = run_tool(folder, "--text", self.text, "--n", N, "--out", out, "--layers", "1")
        self.assertEqual(rc, 0, err)
        _, rows = read_tsv(os.path.join(out, "heads.tsv"))
        self.assertEqual([(r["head"], r["kv_head"], r["scale"], r["causal"]) for r in rows],
                         [("0", "0", "0.25", "true"), ("1", "0", "0.25", "true"), ("2", "1", "0.25", "true"),
                          ("3", "1", "0.25", "true")])
        probe = ModelProbe(folder).run(self.ids["llama"][:N])
        self.check_recomputation(out, rows, probe, True, 8)

    def test_gpt2_without_scaling(self):
        folder = os.path.join(self.tmp, "tiny-gpt2-noscale")
        build_model(folder, "gpt2", scale_attn_weights=False)
        out = self.out_dir()
        rc, _, err = run_tool(folder, "--text", self.text, "--n", 16, "--out", out, "--layers", "0", "--heads", "3")
        self.assertEqual(rc, 0, err)
        _, rows = read_tsv(os.path.join(out, "heads.tsv"))
        self.assertEqual(rows[0]["scale"], "1")

    # ---- output folder: other heads are kept, the same heads overwritten ------------------------------------------

    def test_existing_folder_is_merged(self):
        out = self.out_dir()
        os.makedirs(out)
        shutil.copy(os.path.join(ROOT, "data", "minilm-gpl3-n512", "heads.tsv"), out)
        with open(os.path.join(out, "unrelated.txt"), "w", encoding="utf-8") as f:
            f.write("keep me\n")
        base = [self.folders["llama"], "--text", self.text, "--n", N, "--out", out, "--name", "m"]
        self.assertEqual(run_tool(*base, "--layers", "0", "--heads", "0")[0], 0)
        self.assertEqual(run_tool(*base, "--layers", "1", "--heads", "0,1")[0], 0)
        first = np.load(os.path.join(out, f"m_L0_H0_n{N}_q.npy"))
        # the same head again (other offset): overwritten, one row
        self.assertEqual(run_tool(*base, "--layers", "0", "--heads", "0", "--offset", "3")[0], 0)
        again = np.load(os.path.join(out, f"m_L0_H0_n{N}_q.npy"))
        self.assertGreater(np.abs(first - again).max(), 1e-3)
        cols, rows = read_tsv(os.path.join(out, "heads.tsv"))
        self.assertEqual(cols, EXPECTED_COLUMNS + ["attention_rank_1pct", "top8_mass"])
        prefixes = [r["file_prefix"] for r in rows]
        self.assertEqual(prefixes[:12], [f"minilm_L{l}_H{h}_n512" for l, h in
                                         ((0, 2), (0, 11), (1, 8), (1, 10), (2, 6), (2, 11), (3, 8), (3, 11),
                                          (4, 0), (4, 9), (5, 6), (5, 8))])
        self.assertEqual(prefixes[12:], [f"m_L0_H0_n{N}", f"m_L1_H0_n{N}", f"m_L1_H1_n{N}"])
        self.assertEqual(rows[0]["mean_row_entropy_nats"], "0.1951")
        self.assertEqual(rows[0]["top8_mass"], "0.9996")
        with open(os.path.join(out, "unrelated.txt"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "keep me\n")
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual(man["token_range"], [3, 3 + N])
        self.assertEqual([h["file_prefix"] for h in man["heads"]], [f"m_L0_H0_n{N}"])
        self.assertEqual([[h["file_prefix"] for h in r["heads"]] for r in man["earlier_runs"]],
                         [[f"m_L1_H0_n{N}", f"m_L1_H1_n{N}"]])
        self.assertFalse([f for f in os.listdir(out) if ".tmp-" in f])

    # ---- 6. errors ------------------------------------------------------------------------------------------------

    def assert_error(self, argv, code, *needles):
        rc, stdout, stderr = run_tool(*argv)
        self.assertEqual(rc, code, stderr)
        self.assertEqual(stdout, "")
        lines = stderr.splitlines()
        self.assertEqual(len(lines), 1, stderr)
        self.assertTrue(lines[0].startswith("error: "), stderr)
        for needle in needles:
            self.assertIn(needle, lines[0])
        return lines[0]

    def test_n_past_the_context_length(self):
        out = self.out_dir()
        self.assert_error([self.folders["gpt2"], "--text", self.text, "--n", 65, "--out", out], 2,
                          "--n 65", "context length 64")
        self.assert_error([self.folders["bert"], "--text", self.text, "--n", 100, "--out", out], 2,
                          "--n 100", "context length 64")
        self.assertFalse(os.path.exists(out))

    def test_n_below_two_and_bad_numbers(self):
        out = self.out_dir()
        self.assert_error([self.folders["gpt2"], "--text", self.text, "--n", 1, "--out", out], 2, "--n 1",
                          "at least 2")
        self.assert_error([self.folders["gpt2"], "--text", self.text, "--n", "x", "--out", out], 2, "'x'")
        self.assert_error([self.folders["gpt2"], "--text", self.text, "--n", 8, "--out", out, "--offset", "-1"], 2,
                          "--offset -1")
        self.assert_error([self.folders["gpt2"], "--text", self.text, "--n", 8, "--out", out, "--name", "a/b"], 2,
                          "--name 'a/b'")
        self.assert_error([self.folders["gpt2"], "--text", self.text, "--out", out], 2, "--n")

    def test_text_too_short(self):
        short = os.path.join(self.tmp, "short.txt")
        with open(short, "w", encoding="utf-8") as f:
            f.write("the quick brown fox\n")
        count = len(self.tokenizers["bert"]("the quick brown fox\n")["input_ids"])
        self.assertEqual(count, 6)
        out = self.out_dir()
        self.assert_error([self.folders["bert"], "--text", short, "--n", 8, "--out", out], 2,
                          "has only 6 tokens", "needs 8")
        total = len(self.ids["llama"])
        self.assert_error([self.folders["llama"], "--text", self.text, "--n", 60, "--offset", total - 59,
                           "--out", out], 2, f"has only {total} tokens", f"needs {total + 1}")
        self.assertFalse(os.path.exists(out))

    def test_bad_layer_and_head(self):
        out = self.out_dir()
        base = [self.folders["llama"], "--text", self.text, "--n", N, "--out", out]
        self.assert_error(base + ["--layers", "0,2"], 2, "layer 2 does not exist", "2 layers")
        self.assert_error(base + ["--heads", "4"], 2, "head 4 does not exist", "4 heads")
        self.assert_error(base + ["--layers", "one"], 2, "--layers 'one'")
        self.assert_error(base + ["--heads", "3-1"], 2, "range '3-1' is empty")
        self.assertFalse(os.path.exists(out))

    def test_missing_model_folder_and_text(self):
        out = self.out_dir()
        missing = os.path.join(self.tmp, "no-such-model")
        self.assert_error([missing, "--text", self.text, "--n", N, "--out", out], 2,
                          f"model folder {missing} does not exist")
        self.assert_error([self.folders["gpt2"], "--text", missing + ".txt", "--n", N, "--out", out], 2,
                          f"text file {missing}.txt does not exist")
        not_a_model = os.path.join(self.tmp, "empty-folder")
        os.makedirs(not_a_model, exist_ok=True)
        self.assert_error([not_a_model, "--text", self.text, "--n", N, "--out", out], 2,
                          f"cannot load model folder {not_a_model}")
        self.assertFalse(os.path.exists(out))

    def test_hub_id_from_the_cache(self):
        # a Hub id is loaded from the Hugging Face cache (offline here) and its commit recorded; an id that is not
        # cached fails with one line
        commit = "0123456789abcdef0123456789abcdef01234567"
        hf_home = os.path.join(self.tmp, "hf-home")
        repo = os.path.join(hf_home, "hub", "models--sbtest--tiny-llama")
        shutil.copytree(self.folders["llama"], os.path.join(repo, "snapshots", commit))
        os.makedirs(os.path.join(repo, "refs"))
        with open(os.path.join(repo, "refs", "main"), "w", encoding="utf-8") as f:
            f.write(commit)
        env = dict(os.environ, HF_HUB_OFFLINE="1", HF_HOME=hf_home)
        env.pop("HF_HUB_CACHE", None)
        tool = [sys.executable, os.path.join(HERE, "extract_heads.py")]
        out = self.out_dir()
        proc = subprocess.run(tool + ["sbtest/tiny-llama", "--text", self.text, "--n", str(N), "--out", out,
                                      "--layers", "0", "--heads", "3", "--revision", "main"],
                              capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(os.listdir(out).count(f"tiny-llama_L0_H3_n{N}_q.npy"), 1)
        with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
            man = json.load(f)
        self.assertEqual((man["model"], man["model_source"], man["revision"], man["revision_requested"]),
                         ("sbtest/tiny-llama", "hub", commit, "main"))
        proc = subprocess.run(tool + ["sbtest/no-such-model", "--text", self.text, "--n", str(N), "--out",
                                      self.out_dir()], capture_output=True, text=True, env=env, timeout=300)
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertEqual(proc.stdout, "")
        self.assertRegex(proc.stderr, r"^error: cannot load model sbtest/no-such-model: it is not a local folder, "
                                      r"not in the Hugging Face cache .*\n$")

    def test_help_documents_everything(self):
        proc = subprocess.run([os.path.join(ROOT, "bin", "extract-heads"), "--help"], capture_output=True,
                              text=True, timeout=300)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        for option in ("--text", "--n", "--out", "--layers", "--heads", "--name", "--offset", "--revision",
                       "--trust-remote-code", "--attn-implementation", "--verbose", "self-check", "heads.tsv",
                       "manifest.json", "exit codes"):
            self.assertIn(option, proc.stdout)

    # ---- 7. the self-check fails loudly and writes nothing ----------------------------------------------------------

    def test_self_check_failure_writes_nothing(self):
        real = eh.call_delegate

        def perturbed(impl, module, *args, **kwargs):
            out, weights = real(impl, module, *args, **kwargs)
            if module.layer_idx == 1:
                out = out.clone()
                out[0, :, 2, :] += 1e-3  # query head 2 of layer 1 drifts
            return out, weights

        out = self.out_dir()
        os.makedirs(out)
        with open(os.path.join(out, "heads.tsv"), "w", encoding="utf-8") as f:
            f.write("file_prefix\tlayer\thead\nold_L0_H0_n8\t0\t0\n")
        with mock.patch.object(eh, "call_delegate", perturbed):
            line = self.assert_error([self.folders["llama"], "--text", self.text, "--n", N, "--out", out], 1,
                                     "self-check failed for layer 1 head 2: ", "> 1e-04", "nothing was written")
        self.assertRegex(line, r"= 1\.0\d\de-03 > 1e-04; likely cause: .*attention function was altered")
        self.assertEqual(os.listdir(out), ["heads.tsv"])
        with open(os.path.join(out, "heads.tsv"), encoding="utf-8") as f:
            self.assertEqual(f.read(), "file_prefix\tlayer\thead\nold_L0_H0_n8\t0\t0\n")
        fresh = self.out_dir()
        with mock.patch.object(eh, "call_delegate", perturbed):
            self.assert_error([self.folders["llama"], "--text", self.text, "--n", N, "--out", fresh], 1,
                              "layer 1 head 2")
        self.assertFalse(os.path.exists(fresh))

    def test_attention_sinks_fail_the_self_check(self):
        folder = os.path.join(self.tmp, "tiny-gpt-oss")
        build_model(folder, "gpt_oss")
        out = self.out_dir()
        self.assert_error([folder, "--text", self.text, "--n", N, "--out", out], 1,
                          "self-check failed for layer 0 head 0", "attention sinks", "nothing was written")
        self.assertFalse(os.path.exists(out))

    def test_sliding_window_fails_the_self_check(self):
        folder = os.path.join(self.tmp, "tiny-mistral")
        build_model(folder, "mistral")
        out = self.out_dir()
        self.assert_error([folder, "--text", self.text, "--n", N, "--out", out], 1,
                          "self-check failed for layer 0 head 0 (and 7 more of the 8 heads)",
                          "a sliding-window mask, sliding_window=4, n=24")
        self.assertFalse(os.path.exists(out))
        # within the window the mask is plain causal and the heads pass
        rc, _, err = run_tool(folder, "--text", self.text, "--n", 4, "--out", out, "--layers", "0")
        self.assertEqual(rc, 0, err)
        _, rows = read_tsv(os.path.join(out, "heads.tsv"))
        self.assertEqual({r["causal"] for r in rows}, {"true"})


if __name__ == "__main__":
    unittest.main()
