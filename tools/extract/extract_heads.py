#!/usr/bin/env python3
"""Dump per-head Q, K, V of a Hugging Face transformers model as its attention kernel sees them.

Run it through bin/extract-heads (which provides the pinned environment of tools/extract/requirements.txt);
`bin/extract-heads --help` documents the options and tools/extract/README.md the output format.

How Q/K/V are captured: the tool registers its own attention function with transformers' AttentionInterface
(and the matching mask function with AttentionMaskInterface) and switches the loaded model to it with
`model.set_attn_implementation`. Every attention module of a model that follows the AttentionInterface design
computes its projections, applies its position embedding (RoPE) and calls
`attention_interface(module, query, key, value, attention_mask, scaling=..., ...)`; the registered function records
those arguments (post-RoPE query/key, the kv heads before grouped-query expansion, the scale, the mask) and then
calls the implementation the model would have used (its `eager_attention_forward` or the `sdpa` function), whose
output it records too. The self-check recomputes softmax(scale Q K^T + mask) V from the dumped float32 arrays in
float64 and compares it with that output.
"""

import argparse
import hashlib
import json
import math
import os
import re
import sys
import time
import traceback

TOLERANCE = 1e-4
EXIT_FAILURE = 1
EXIT_USAGE = 2
CAPTURE_PREFIX = "scatterbrain_capture_"
DELEGATES = ("eager", "sdpa")
HEADS_COLUMNS = [
    "file_prefix", "layer", "head", "kv_head", "n", "head_dim", "value_dim", "scale", "causal",
    "mean_row_entropy_nats", "max_entropy_nats", "self_check_max_abs_error",
]
# Config attributes that hold a model's context length, in the order they are tried (on the text config).
CONTEXT_ATTRIBUTES = ("max_position_embeddings", "n_positions", "n_ctx", "max_sequence_length", "seq_length",
                      "max_seq_len", "seq_len")
# Models whose learned positions start at padding_idx + 1, so only max_position_embeddings - pad_token_id - 1
# positions are usable (RoBERTa: 514 -> 512).
PADDING_OFFSET_POSITIONS = {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "data2vec-text", "longformer",
                            "roberta-prelayernorm", "xmod", "ibert", "mpnet", "luke", "markuplm", "layoutlmv3"}
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class UsageError(Exception):
    """Bad arguments or input: exit code 2."""


class ExtractError(Exception):
    """The model failed or a self-check failed: exit code 1."""


# ----------------------------------------------------------------------------------------------------------------
# arguments

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2, instead of argparse's usage block
        raise UsageError(message)


def build_parser():
    p = _Parser(
        prog="bin/extract-heads",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Dump per-head Q, K, V of a Hugging Face transformers model exactly as its attention kernel sees them\n"
            "(after rotary position embeddings, grouped-query kv heads mapped to their query heads), with the\n"
            "model's own softmax scale and causality, in the folder format the sweeps read."),
        epilog=(
            "output (in DIR):\n"
            "  NAME_L<layer>_H<head>_n<N>_{q,k,v}.npy\n"
            "                 float32 (<f4), C order; q and k (N, head_dim), v (N, value_dim); Q is not\n"
            "                 pre-scaled; k/v are those of kv head head // (H / H_kv); Q/K after RoPE\n"
            "  heads.tsv      one row per head: " + ", ".join(HEADS_COLUMNS) + "\n"
            "                 (scale is a decimal float such as 0.3535533906, causal is true or false)\n"
            "  manifest.json  model, revision, versions, text sha256, token range, scale(s), causal, heads\n"
            "  Files of other heads already in DIR are kept (their heads.tsv rows too); files of the same heads\n"
            "  are overwritten.\n"
            "\n"
            "tokens: the text is tokenised with the model's own tokenizer, with the special tokens it adds by default\n"
            "  ([CLS] ... [SEP] for BERT, BOS for Llama); tokens [offset, offset + N) are run as one sequence\n"
            "  (positions 0..N-1), once, in eval mode, float32, without gradients.\n"
            "\n"
            "self-check (always on): for every head, softmax(scale Q K^T + mask) V is recomputed in float64 from the\n"
            "  dumped float32 arrays (mask: lower-triangular if causal, none otherwise) and compared with the\n"
            "  model's own attention output for that head (before the output projection). If the max abs\n"
            "  difference exceeds 1e-4 (e.g. ALiBi biases, logit soft-capping, sliding-window masks, attention\n"
            "  sinks), the tool fails and writes nothing.\n"
            "\n"
            "exit codes: 0 written; 1 self-check failed or the model failed to run; 2 bad arguments or input\n"
            "  (including a model that cannot be found or loaded). Errors are one line 'error: ...' on stderr.\n"
            "\n"
            "example:\n"
            "  bin/extract-heads sentence-transformers/all-MiniLM-L6-v2 --text gpl3.txt --n 512 \\\n"
            "      --out data/minilm-x --layers 0,1 --heads 2,11 --name minilm\n"),
    )
    p.add_argument("model", metavar="MODEL",
                   help="a Hugging Face model id (loaded from the local Hugging Face cache or the Hub) or a local "
                        "folder written by save_pretrained (model and tokenizer)")
    p.add_argument("--text", required=True, metavar="FILE", help="UTF-8 text file to tokenise")
    p.add_argument("--n", required=True, type=int, metavar="N",
                   help="number of tokens (>= 2, at most the model's context length)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--layers", metavar="L,L,...", default=None,
                   help="0-based layers to dump, comma-separated; ranges like 0-3 allowed (default: all)")
    p.add_argument("--heads", metavar="H,H,...", default=None,
                   help="0-based query heads to dump in each selected layer, comma-separated; ranges like 0-3 "
                        "allowed (default: all)")
    p.add_argument("--name", metavar="NAME", default=None,
                   help="file name prefix (letters, digits, '.', '_', '-'; default: the model folder's or id's "
                        "last component)")
    p.add_argument("--offset", type=int, default=0, metavar="TOKENS",
                   help="index of the first token taken (default 0, i.e. starting with the special tokens the "
                        "tokenizer puts first)")
    p.add_argument("--revision", default=None, metavar="REV",
                   help="branch, tag or commit of a Hub model (default: the default branch)")
    p.add_argument("--trust-remote-code", action="store_true",
                   help="allow models whose code lives in their repository (runs that code)")
    p.add_argument("--attn-implementation", choices=("auto",) + DELEGATES, default="auto",
                   help="attention implementation the capture delegates to: the model's default (auto: sdpa "
                        "where the model supports it, else eager), or eager / sdpa")
    p.add_argument("--device", default="cpu", metavar="DEVICE",
                   help="torch device to run the model on (default cpu)")
    p.add_argument("--verbose", action="store_true",
                   help="progress messages, library warnings and Python tracebacks on errors")
    p.add_argument("--quiet", action="store_true", help="no summary on success")
    return p


def parse_index_list(spec, what):
    """'0,2,5-7' -> [0, 2, 5, 6, 7] (sorted, unique); None -> None (all)."""
    if spec is None:
        return None
    out = set()
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise UsageError(f"--{what} {spec!r}: {part!r} is not a 0-based index or range like 0-3")
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) is not None else lo
        if hi < lo:
            raise UsageError(f"--{what} {spec!r}: range {part!r} is empty")
        out.update(range(lo, hi + 1))
    return sorted(out)


def validate_args(args):
    if args.n < 2:
        raise UsageError(f"--n {args.n}: need at least 2 tokens")
    if args.offset < 0:
        raise UsageError(f"--offset {args.offset}: must be >= 0")
    args.layer_list = parse_index_list(args.layers, "layers")
    args.head_list = parse_index_list(args.heads, "heads")
    if args.name is not None and not NAME_RE.match(args.name):
        raise UsageError(f"--name {args.name!r}: use letters, digits, '.', '_' and '-' only (starting with a "
                         "letter or digit)")
    if not os.path.isfile(args.text):
        raise UsageError(f"text file {args.text} does not exist" if not os.path.exists(args.text)
                         else f"text file {args.text} is not a regular file")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UsageError(f"--out {args.out} exists and is not a folder")


def model_source(model):
    """('folder', abspath) or ('hub', id); raises UsageError for a path that does not exist."""
    expanded = os.path.expanduser(model)
    if os.path.isdir(expanded):
        return "folder", os.path.abspath(expanded)
    if os.path.exists(expanded):
        raise UsageError(f"model {model} is a file, not a model folder or Hugging Face model id")
    looks_like_path = (model.startswith(("/", ".", "~")) or model.endswith("/") or model.count("/") > 1
                       or os.sep != "/" and os.sep in model)
    if looks_like_path:
        raise UsageError(f"model folder {model} does not exist")
    return "hub", model


def default_name(kind, where):
    base = os.path.basename(where.rstrip("/")) if kind == "folder" else where.split("/")[-1]
    # a Hub cache snapshot folder is named by its commit: use the repository's name instead
    m = re.search(r"models--[^/]+--([^/]+)/snapshots/[0-9a-f]{40}/?$", where) if kind == "folder" else None
    if m:
        base = m.group(1)
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._")
    return base or "model"


# ----------------------------------------------------------------------------------------------------------------
# capture

class Recorder:
    """Collects what the attention function receives and returns, for the selected layers and heads."""

    def __init__(self, layers, heads):
        self.layers = None if layers is None else set(layers)
        self.heads = heads
        self.calls = []  # one dict per attention call, in call order

    def wanted(self, ordinal, layer_idx):
        return self.layers is None or ordinal in self.layers or layer_idx in self.layers


def _delegate_function(impl, module):
    """The attention function the model would have called for `impl` ('eager' or 'sdpa')."""
    import transformers
    mod = sys.modules.get(type(module).__module__)
    if impl == "eager":
        fn = getattr(mod, "eager_attention_forward", None)
        if fn is None:
            raise ExtractError(f"{type(module).__name__} ({type(module).__module__}) has no eager_attention_forward "
                               "to delegate to; try --attn-implementation sdpa")
        return fn
    # a modeling file may keep its own AttentionInterface instance with local overrides
    iface = getattr(mod, "ALL_ATTENTION_FUNCTIONS", None)
    if not isinstance(iface, transformers.AttentionInterface):
        iface = transformers.modeling_utils.ALL_ATTENTION_FUNCTIONS
    return iface[impl]


def call_delegate(impl, module, query, key, value, attention_mask, *args, **kwargs):
    """Runs the delegate attention function (a seam for the tests)."""
    return _delegate_function(impl, module)(module, query, key, value, attention_mask, *args, **kwargs)


_ACTIVE = {"recorder": None}
_REGISTERED = set()


def _make_capture(impl):
    def capture(module, query, key, value, attention_mask, *args, **kwargs):
        import torch
        result = call_delegate(impl, module, query, key, value, attention_mask, *args, **kwargs)
        rec = _ACTIVE["recorder"]
        if rec is None:
            return result
        ordinal = len(rec.calls)
        layer_idx = getattr(module, "layer_idx", None)
        layer_idx = layer_idx if isinstance(layer_idx, int) and not isinstance(layer_idx, bool) else None
        scaling = kwargs.get("scaling")
        if scaling is None:
            scaling = query.shape[-1] ** -0.5  # what eager and sdpa use when the module passes no scale
        out = result[0] if isinstance(result, tuple) else result
        call = {
            "ordinal": ordinal,
            "layer_idx": layer_idx,
            "module": type(module).__name__,
            "shape_q": tuple(query.shape), "shape_k": tuple(key.shape), "shape_v": tuple(value.shape),
            "shape_out": tuple(out.shape),
            "scaling": float(scaling),
            "is_causal_kwarg": kwargs.get("is_causal"),
            "module_is_causal": getattr(module, "is_causal", None),
            "softcap": kwargs.get("softcap"),
            "sliding_window": kwargs.get("sliding_window"),
            "has_sinks": kwargs.get("s_aux") is not None or kwargs.get("sinks") is not None,
            "has_position_bias": kwargs.get("position_bias") is not None,
            "impl": impl,
            "tensors": None,
        }
        if rec.wanted(ordinal, layer_idx) and query.dim() == 4 and key.dim() == 4 and out.dim() == 4:
            heads = list(range(query.shape[1])) if rec.heads is None else [h for h in rec.heads
                                                                          if h < query.shape[1]]
            keep = lambda t: t.detach().to("cpu", torch.float32).clone()  # noqa: E731
            call["tensors"] = {
                "heads": heads,
                "q": keep(query[0, heads]),  # (heads, n, d), post-RoPE, not scaled
                "k": keep(key[0]),  # (kv heads, n, d), before any grouped-query expansion
                "v": keep(value[0]),  # (kv heads, n, dv)
                "out": keep(out[0]),  # (n, heads, dv): the delegate's output before the output projection
                # eager and sdpa masks are tensors (bool: True = attend; float: additive); None = no mask
                "mask": None if attention_mask is None else attention_mask[0].detach().to("cpu").clone(),
            }
        rec.calls.append(call)
        return result

    capture.__name__ = f"{CAPTURE_PREFIX}{impl}"
    return capture


def register_capture(impl):
    """Registers the capture attention function and its mask function under CAPTURE_PREFIX + impl."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, AttentionMaskInterface
    key = CAPTURE_PREFIX + impl
    if key not in _REGISTERED:
        AttentionInterface.register(key, _make_capture(impl))
        # without a mask function the model would build no mask at all for an unknown implementation
        AttentionMaskInterface.register(key, ALL_MASK_ATTENTION_FUNCTIONS[impl])
        _REGISTERED.add(key)
    return key


# ----------------------------------------------------------------------------------------------------------------
# model helpers

def text_config(config):
    get = getattr(config, "get_text_config", None)
    try:
        return get() if callable(get) else config
    except Exception:
        return config


def context_limit(config):
    """(limit or None, description)."""
    c = text_config(config)
    for attr in CONTEXT_ATTRIBUTES:
        v = getattr(c, attr, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            model_type = getattr(c, "model_type", "") or getattr(config, "model_type", "")
            pad = getattr(c, "pad_token_id", None)
            if model_type in PADDING_OFFSET_POSITIONS and isinstance(pad, int) and 0 <= pad < v - 1:
                return v - pad - 1, f"{attr} {v} minus padding offset {pad + 1}"
            return v, attr
    return None, "unknown"


def config_int(config, *names):
    c = text_config(config)
    for name in names:
        v = getattr(c, name, None)
        if isinstance(v, int) and not isinstance(v, bool) and v > 0:
            return v
    return None


def describe_load_error(model, kind, exc):
    msg = " ".join(str(exc).split())
    if kind == "folder":
        return f"cannot load model folder {model}: {type(exc).__name__}: {msg[:400]}"
    offline = ("couldn't connect" in msg.lower() or "offline" in msg.lower() or "connection" in msg.lower()
               or "cannot find the requested files" in msg.lower() or "not cached" in msg.lower()
               or "resolve" in msg.lower() and "host" in msg.lower())
    if offline:
        return (f"cannot load model {model}: it is not a local folder, not in the Hugging Face cache "
                f"(HF_HOME / HF_HUB_CACHE), and the Hub cannot be reached")
    if "is not a local folder and is not a valid model identifier" in msg or "404" in msg \
            or "repository not found" in msg.lower():
        return f"cannot load model {model}: no such model on the Hub (or it is private/gated): {msg[:200]}"
    return f"cannot load model {model}: {type(exc).__name__}: {msg[:400]}"


def hub_reachable(timeout=3.0):
    """False when the Hub is known to be unreachable: offline mode, or no proxy and no TCP connection to it."""
    import socket
    from urllib.parse import urlparse
    try:
        from huggingface_hub import constants
        if constants.HF_HUB_OFFLINE:
            return False
        endpoint = constants.ENDPOINT
    except Exception:  # noqa: BLE001
        endpoint = "https://huggingface.co"
    if any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True  # let the client go through the proxy
    url = urlparse(endpoint)
    try:
        with socket.create_connection((url.hostname, url.port or (443 if url.scheme == "https" else 80)),
                                      timeout=timeout):
            return True
    except OSError:
        return False


def resolve_commit(kind, where, revision):
    """The commit hash of the loaded files when it is known, else None."""
    if kind == "folder":
        m = re.search(r"/snapshots/([0-9a-f]{40})/?$", where)
        return m.group(1) if m else None
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    try:
        from transformers.utils import cached_file
        path = cached_file(where, "config.json", revision=revision, local_files_only=True,
                           _raise_exceptions_for_missing_entries=False)
    except Exception:
        return None
    m = re.search(r"/snapshots/([0-9a-f]{40})/", str(path or ""))
    return m.group(1) if m else None


def quiet_libraries(verbose):
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if not verbose:
        os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
        os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
        import warnings
        warnings.filterwarnings("ignore")
    import transformers
    if verbose:
        transformers.logging.set_verbosity_warning()
    else:
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        try:
            import huggingface_hub.utils as hub_utils
            hub_utils.disable_progress_bars()
        except Exception:
            pass


# ----------------------------------------------------------------------------------------------------------------
# analysis

def effective_mask(call, tensors, head_pos, n):
    """The (n, n) boolean pattern the delegate applies and any additive biases: (allowed, has_bias)."""
    import numpy as np
    import torch
    mask = tensors["mask"]
    if mask is None:
        if call["impl"] == "sdpa":
            flag = call["is_causal_kwarg"]
            flag = flag if flag is not None else (call["module_is_causal"]
                                                  if call["module_is_causal"] is not None else True)
            causal = bool(flag) and n > 1
        else:
            causal = False
        allowed = np.tril(np.ones((n, n), dtype=bool)) if causal else np.ones((n, n), dtype=bool)
        return allowed, False
    m = mask
    if m.dim() == 3:  # (heads or 1, q, k)
        m = m[head_pos] if m.shape[0] > 1 else m[0]
    m = m[-n:, -n:]
    if m.dtype == torch.bool:
        return m.numpy().copy(), False
    mf = m.to(torch.float64)
    allowed = (mf > torch.finfo(m.dtype).min / 2) & torch.isfinite(mf)
    has_bias = bool((mf[allowed] != 0).any())
    return allowed.numpy(), has_bias


def likely_cause(call, pattern_ok, has_bias, n):
    causes = []
    if call.get("has_sinks"):
        causes.append("the model uses attention sinks (an extra per-head logit in the softmax)")
    if call.get("softcap") is not None and call.get("impl") != "sdpa":  # sdpa ignores softcap
        causes.append(f"the model soft-caps attention logits (softcap={call['softcap']})")
    if call.get("has_position_bias"):
        causes.append("the model adds a relative position bias to the logits (T5-style)")
    if has_bias:
        causes.append("the attention mask carries additive biases (e.g. ALiBi)")
    if not pattern_ok:
        sw = call.get("sliding_window")
        causes.append("the model's mask is neither causal nor full"
                      + (f" (a sliding-window mask, sliding_window={sw}, n={n})" if sw
                         else " (a sliding-window, chunked or padding mask)"))
    if not causes:
        causes.append("the model's attention is not plain softmax(scale Q K^T) V (e.g. ALiBi biases, logit "
                      "soft-capping, sliding-window masks or attention sinks) or its attention function was altered")
    return "; ".join(causes)


def analyse_head(q, k, v, out, scale, causal):
    """float64 softmax(scale Q K^T + mask) V from the float32 arrays: (max abs error vs out, mean row entropy,
    max mean row entropy)."""
    import numpy as np
    n = q.shape[0]
    s = (q.astype(np.float64) @ k.astype(np.float64).T) * float(scale)
    if causal:
        s[np.triu_indices(n, 1)] = -np.inf
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    o = p @ v.astype(np.float64)
    err = float(np.max(np.abs(o - out.astype(np.float64)))) if out is not None else float("inf")
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    mean_entropy = float(-plogp.sum(axis=1).mean())
    if causal:
        max_entropy = float(np.log(np.arange(1, n + 1, dtype=np.float64)).mean())
    else:
        max_entropy = float(math.log(n))
    return err, mean_entropy, max_entropy


# ----------------------------------------------------------------------------------------------------------------
# output

def fmt_float(x, digits=8):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return repr(x)
    return f"{x:.{digits}g}"


def read_heads_tsv(path):
    """(columns, rows as dicts) of an existing heads.tsv; ([], []) if absent."""
    if not os.path.isfile(path):
        return [], []
    with open(path, encoding="utf-8") as f:
        lines = [ln.rstrip("\n").rstrip("\r") for ln in f if ln.strip()]
    if not lines:
        return [], []
    cols = lines[0].split("\t")
    if not cols or cols[0] != "file_prefix":
        raise UsageError(f"{path} exists but its header does not start with file_prefix; move it away first")
    rows = []
    for ln in lines[1:]:
        cells = ln.split("\t")
        rows.append({c: (cells[i] if i < len(cells) else "") for i, c in enumerate(cols)})
    return cols, rows


def merge_heads(existing_cols, existing_rows, new_rows):
    cols = list(HEADS_COLUMNS) + [c for c in existing_cols if c not in HEADS_COLUMNS]
    by_prefix = {r["file_prefix"]: r for r in new_rows}
    merged, seen = [], set()
    for r in existing_rows:
        p = r.get("file_prefix", "")
        if p in by_prefix:
            merged.append(by_prefix[p])
            seen.add(p)
        else:
            merged.append(r)
    merged.extend(r for r in new_rows if r["file_prefix"] not in seen)
    text = "\t".join(cols) + "\n"
    for r in merged:
        text += "\t".join(str(r.get(c, "")) for c in cols) + "\n"
    return text


def merge_manifest(path, manifest, written_prefixes):
    """Keeps earlier runs' manifests for heads that are still in the folder."""
    earlier = []
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                old = json.load(f)
        except (OSError, ValueError):
            old = None
        if isinstance(old, dict):
            runs = list(old.get("earlier_runs") or [])
            head_run = {k: v for k, v in old.items() if k != "earlier_runs"}
            runs.append(head_run)
            for run in runs:
                if not isinstance(run, dict):
                    continue
                heads = [h for h in run.get("heads") or []
                         if isinstance(h, dict) and h.get("file_prefix") not in written_prefixes]
                if heads:
                    earlier.append(dict(run, heads=heads))
    if earlier:
        manifest = dict(manifest, earlier_runs=earlier)
    return manifest


def dumps_json(obj):
    """Indented JSON with lists of numbers and strings (token ids, scales) kept on one line."""
    text = json.dumps(obj, indent=2)
    return re.sub(r'\[\n\s+((?:-?[0-9.eE+-]+|"(?:[^"\\]|\\.)*"|true|false|null)'
                  r'(?:,\n\s+(?:-?[0-9.eE+-]+|"(?:[^"\\]|\\.)*"|true|false|null))*)\n\s*\]',
                  lambda m: "[" + re.sub(r",\n\s+", ", ", m.group(1)) + "]", text) + "\n"


def write_outputs(out_dir, arrays, heads_text, manifest_text):
    """Writes every file to a temporary name first, then renames them all: a failure leaves DIR as it was."""
    import numpy as np
    created_dir = not os.path.isdir(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    tag = f".tmp-extract-heads-{os.getpid()}"
    pending = []
    try:
        for fname, arr in arrays:
            final = os.path.join(out_dir, fname)
            tmp = final + tag
            pending.append((tmp, final))
            with open(tmp, "wb") as f:
                np.save(f, np.ascontiguousarray(arr, dtype="<f4"), allow_pickle=False)
        for fname, text in (("heads.tsv", heads_text), ("manifest.json", manifest_text)):
            final = os.path.join(out_dir, fname)
            tmp = final + tag
            pending.append((tmp, final))
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text)
    except BaseException:
        for tmp, _ in pending:
            try:
                os.remove(tmp)
            except OSError:
                pass
        if created_dir:
            try:
                os.rmdir(out_dir)
            except OSError:
                pass
        raise
    for tmp, final in pending:
        os.replace(tmp, final)


# ----------------------------------------------------------------------------------------------------------------
# the run

def log(args, msg):
    if args.verbose:
        print(msg, file=sys.stderr, flush=True)


def run(args):
    """Does the extraction; returns a summary dict. Raises UsageError / ExtractError."""
    validate_args(args)
    kind, where = model_source(args.model)
    name = args.name or default_name(kind, where)

    with open(args.text, "rb") as f:
        text_bytes = f.read()
    try:
        text = text_bytes.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UsageError(f"text file {args.text} is not UTF-8 ({e.reason} at byte {e.start})")
    text_sha256 = hashlib.sha256(text_bytes).hexdigest()

    quiet_libraries(args.verbose)
    import numpy as np
    import torch
    import transformers
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    load_kw = {"trust_remote_code": args.trust_remote_code}
    if args.revision:
        load_kw["revision"] = args.revision
    if kind == "hub" and not hub_reachable():
        # straight to the cache: the Hub client would otherwise retry an unreachable host for half a minute
        load_kw["local_files_only"] = True

    log(args, f"loading config of {args.model} ...")
    try:
        config = AutoConfig.from_pretrained(where, **load_kw)
    except Exception as e:  # noqa: BLE001 -- every load failure is one clear line
        raise UsageError(describe_load_error(args.model, kind, e)) from e

    limit, limit_source = context_limit(config)
    if limit is not None and args.n > limit:
        raise UsageError(f"--n {args.n} exceeds the model's context length {limit} ({limit_source})")
    n_layers_cfg = config_int(config, "num_hidden_layers", "n_layer", "num_layers", "encoder_layers")
    n_heads_cfg = config_int(config, "num_attention_heads", "n_head", "num_heads", "encoder_attention_heads")
    if getattr(config, "is_encoder_decoder", False):
        n_layers_cfg = config_int(config, "encoder_layers", "num_layers")
        n_heads_cfg = config_int(config, "encoder_attention_heads", "num_heads")
    check_indices(args.layer_list, n_layers_cfg, "layer")
    check_indices(args.head_list, n_heads_cfg, "head")

    log(args, "loading tokenizer ...")
    try:
        tokenizer = AutoTokenizer.from_pretrained(where, **load_kw)
    except Exception as e:  # noqa: BLE001
        raise UsageError(f"cannot load the tokenizer of {args.model}: {' '.join(str(e).split())[:300]}") from e
    if tokenizer is None or not callable(tokenizer):
        raise UsageError(f"{args.model} has no tokenizer")
    try:
        ids = tokenizer(text, add_special_tokens=True, return_attention_mask=False, verbose=False)["input_ids"]
    except Exception as e:  # noqa: BLE001
        raise UsageError(f"the tokenizer of {args.model} failed on {args.text}: {' '.join(str(e).split())[:300]}")
    if ids and isinstance(ids[0], list):
        ids = ids[0]
    total_tokens = len(ids)
    if total_tokens < args.offset + args.n:
        raise UsageError(
            f"text file {args.text} has only {total_tokens} tokens (with special tokens); --offset {args.offset} "
            f"--n {args.n} needs {args.offset + args.n}")
    window = ids[args.offset:args.offset + args.n]

    log(args, f"loading model {args.model} ...")
    model_kw = dict(load_kw, config=config, dtype=torch.float32)
    if args.attn_implementation != "auto":
        model_kw["attn_implementation"] = args.attn_implementation
    try:
        model = AutoModel.from_pretrained(where, **model_kw)
    except Exception as e:  # noqa: BLE001
        raise UsageError(describe_load_error(args.model, kind, e)) from e
    delegate = getattr(model.config, "_attn_implementation", None) or "eager"
    if delegate not in DELEGATES:
        raise UsageError(f"model {args.model} uses attention implementation {delegate!r}; only eager and sdpa can "
                         "be captured (use --attn-implementation eager or sdpa)")
    key = register_capture(delegate)
    try:
        model.set_attn_implementation(key)
    except Exception as e:  # noqa: BLE001
        raise ExtractError(f"{type(model).__name__} does not accept a custom attention function "
                           f"({' '.join(str(e).split())[:200]})") from e
    if getattr(model.config, "_attn_implementation", None) != key:
        raise ExtractError(f"{type(model).__name__} does not route its attention through transformers' "
                           "AttentionInterface, so its Q/K/V cannot be captured")
    if hasattr(model.config, "use_cache"):
        model.config.use_cache = False
    try:
        model.to(args.device)
    except Exception as e:  # noqa: BLE001
        raise UsageError(f"--device {args.device}: {' '.join(str(e).split())[:200]}") from e
    model.eval()
    runner = model
    if getattr(config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        runner = model.get_encoder()  # encoder self-attention only

    rec = Recorder(args.layer_list, args.head_list)
    input_ids = torch.tensor([window], dtype=torch.long, device=args.device)
    log(args, f"running {args.n} tokens through the model ({delegate} attention) ...")
    _ACTIVE["recorder"] = rec
    try:
        with torch.no_grad():
            runner(input_ids=input_ids)
    except (UsageError, ExtractError):
        raise
    except Exception as e:  # noqa: BLE001
        raise ExtractError(f"running the model failed: {type(e).__name__}: {' '.join(str(e).split())[:300]}") from e
    finally:
        _ACTIVE["recorder"] = None

    heads_out, warnings = collect_heads(args, rec, name)

    # self-check and statistics, before anything is written
    rows, arrays, manifest_heads = [], [], []
    worst = 0.0
    checked = []
    for h in heads_out:
        err, mean_ent, max_ent = analyse_head(h["q"], h["k"], h["v"], h["out"], h["scale"], h["causal"])
        checked.append((h, err, mean_ent, max_ent))
    failed = [(h, err) for h, err, _, _ in checked
              if not (err <= TOLERANCE) or not h["pattern_ok"] or h["has_bias"]]
    if failed:
        h, err = failed[0]
        cause = likely_cause(h["call"], h["pattern_ok"], h["has_bias"], args.n)
        more = f" (and {len(failed) - 1} more of the {len(checked)} heads)" if len(failed) > 1 else ""
        raise ExtractError(
            f"self-check failed for layer {h['layer']} head {h['head']}{more}: max |softmax(scale Q K^T + mask) V - "
            f"model output| = {err:.3e} > {TOLERANCE:.0e}; likely cause: {cause}; nothing was written")
    for h, err, mean_ent, max_ent in checked:
        worst = max(worst, err)
        rows.append({
            "file_prefix": h["prefix"], "layer": h["layer"], "head": h["head"], "kv_head": h["kv_head"],
            "n": args.n, "head_dim": h["q"].shape[1], "value_dim": h["v"].shape[1],
            "scale": fmt_float(h["scale"], 10), "causal": "true" if h["causal"] else "false",
            "mean_row_entropy_nats": f"{mean_ent:.4f}", "max_entropy_nats": f"{max_ent:.4f}",
            "self_check_max_abs_error": f"{err:.3e}",
        })
        for part in ("q", "k", "v"):
            arrays.append((f"{h['prefix']}_{part}.npy", h[part]))
        manifest_heads.append({
            "file_prefix": h["prefix"], "layer": h["layer"], "head": h["head"], "kv_head": h["kv_head"],
            "scale": h["scale"], "causal": h["causal"], "self_check_max_abs_error": err,
        })

    causal_set = {h["causal"] for h in heads_out}
    scales = sorted({h["scale"] for h in heads_out})
    manifest = {
        "tool": "bin/extract-heads",
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": args.model,
        "model_source": kind,
        "model_folder": where if kind == "folder" else None,
        "revision": resolve_commit(kind, where, args.revision),
        "revision_requested": args.revision,
        "model_type": getattr(config, "model_type", None),
        "architectures": list(getattr(config, "architectures", None) or []),
        "model_class": type(model).__name__,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "tokenizer_class": type(tokenizer).__name__,
        "text_file": os.path.basename(args.text),
        "text_sha256": text_sha256,
        "text_tokens": total_tokens,
        "special_tokens_added": True,
        "token_range": [args.offset, args.offset + args.n],
        "token_ids": [int(t) for t in window],
        "n": args.n,
        "context_length": limit,
        "num_layers": len({c["layer"] for c in rec.calls if "layer" in c}) or n_layers_cfg,
        "num_attention_heads": heads_out[0]["num_heads"],
        "num_key_value_heads": heads_out[0]["num_kv_heads"],
        "causal": causal_set.pop() if len(causal_set) == 1 else None,
        "scale": scales[0] if len(scales) == 1 else None,
        "scales": scales,
        "attn_implementation": delegate,
        "capture": f"transformers.AttentionInterface '{key}' delegating to {delegate}",
        "encoder_only": runner is not model,
        "dtype": "float32",
        "self_check_tolerance": TOLERANCE,
        "self_check_max_abs_error": worst,
        "heads": manifest_heads,
    }

    heads_path = os.path.join(args.out, "heads.tsv")
    old_cols, old_rows = read_heads_tsv(heads_path)
    heads_text = merge_heads(old_cols, old_rows, rows)
    written = {r["file_prefix"] for r in rows}
    manifest = merge_manifest(os.path.join(args.out, "manifest.json"), manifest, written)
    manifest_text = dumps_json(manifest)
    try:
        write_outputs(args.out, arrays, heads_text, manifest_text)
    except OSError as e:
        raise ExtractError(f"writing to {args.out} failed: {e}; nothing was written") from e

    return {"heads": len(rows), "out": args.out, "max_error": worst, "name": name, "delegate": delegate,
            "warnings": warnings, "n": args.n,
            "layers": sorted({h["layer"] for h in heads_out}), "prefixes": [r["file_prefix"] for r in rows]}


def check_indices(selected, count, what):
    if selected is None or count is None:
        return
    bad = [i for i in selected if i >= count]
    if bad:
        raise UsageError(f"{what} {bad[0]} does not exist: the model has {count} {what}s (0-{count - 1})")


def collect_heads(args, rec, name):
    import numpy as np
    calls = rec.calls
    if not calls:
        raise ExtractError("the model made no call to the registered attention function: it does not route its "
                           "attention through transformers' AttentionInterface, so its Q/K/V cannot be captured")
    for c in calls:
        if c["shape_q"][2:3] != c["shape_k"][2:3] or len(c["shape_q"]) != 4:
            raise ExtractError(f"attention call {c['ordinal']} ({c['module']}) is not self-attention over the "
                               f"{args.n} tokens (query {c['shape_q']}, key {c['shape_k']}); unsupported model")
    idx = [c["layer_idx"] for c in calls]
    use_idx = all(i is not None for i in idx) and len(set(idx)) == len(idx)
    for c in calls:
        c["layer"] = c["layer_idx"] if use_idx else c["ordinal"]
    layers_present = sorted(c["layer"] for c in calls)
    n_layers = len(calls)
    selected = args.layer_list if args.layer_list is not None else layers_present
    for layer in selected:
        if layer not in layers_present:
            raise UsageError(f"layer {layer} does not exist: the model has {n_layers} layers "
                             f"({layers_present[0]}-{layers_present[-1]})")
    out, softcapped = [], []
    by_layer = {c["layer"]: c for c in calls}
    for layer in selected:
        c = by_layer[layer]
        t = c["tensors"]
        hq, hkv = c["shape_q"][1], c["shape_k"][1]
        if args.head_list is not None:
            for h in args.head_list:
                if h >= hq:
                    raise UsageError(f"head {h} does not exist: layer {layer} has {hq} heads (0-{hq - 1})")
        if t is None:
            raise ExtractError(f"layer {layer} was not captured ({c['module']})")
        if hkv == 0 or hq % hkv != 0:
            raise ExtractError(f"layer {layer} has {hq} query heads and {hkv} kv heads: not a grouped-query layout")
        group = hq // hkv
        if t["out"] is None or c["shape_out"][1] != args.n or c["shape_out"][2] != hq:
            raise ExtractError(f"layer {layer}: the attention output has shape {c['shape_out']}, expected "
                               f"(1, {args.n}, {hq}, head_dim)")
        if c["softcap"] is not None and c["impl"] == "sdpa":
            softcapped.append(layer)
        for pos, h in enumerate(t["heads"]):
            kvh = h // group
            allowed, has_bias = effective_mask(c, t, pos, args.n)
            tril = np.tril(np.ones((args.n, args.n), dtype=bool))
            if np.array_equal(allowed, tril):
                causal, pattern_ok = True, True
            elif allowed.all():
                causal, pattern_ok = False, True
            else:
                causal = bool(c["module_is_causal"]) if c["module_is_causal"] is not None else True
                pattern_ok = False
            out.append({
                "layer": layer, "head": h, "kv_head": kvh,
                "prefix": f"{name}_L{layer}_H{h}_n{args.n}",
                "q": np.ascontiguousarray(t["q"][pos].numpy(), dtype=np.float32),
                "k": np.ascontiguousarray(t["k"][kvh].numpy(), dtype=np.float32),
                "v": np.ascontiguousarray(t["v"][kvh].numpy(), dtype=np.float32),
                "out": t["out"][:, h, :].numpy().astype(np.float32),
                "scale": c["scaling"], "causal": causal, "pattern_ok": pattern_ok, "has_bias": has_bias,
                "num_heads": hq, "num_kv_heads": hkv, "call": c,
            })
    warnings = []
    if softcapped:
        warnings.append(
            f"layer{'s' if len(softcapped) > 1 else ''} {','.join(map(str, softcapped))} pass softcap="
            f"{by_layer[softcapped[0]]['softcap']} to the attention function, which sdpa ignores: the dump "
            "reproduces the model's sdpa run, not its eager run (which soft-caps the logits and fails the self-check)")
    return out, warnings


def summary_line(s):
    plural = lambda k, word: word + ("s" if k != 1 else "")  # noqa: E731
    return (f"wrote {s['heads']} {plural(s['heads'], 'head')} ({plural(len(s['layers']), 'layer')} "
            f"{','.join(map(str, s['layers']))}) to {s['out']} as {s['name']}_L*_H*_n{s['n']}_{{q,k,v}}.npy with "
            f"heads.tsv and manifest.json; max self-check error {s['max_error']:.2e} (tolerance {TOLERANCE:.0e}, "
            f"{s['delegate']} attention)")


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    verbose = "--verbose" in argv
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as e:  # --help
            return e.code if isinstance(e.code, int) else 0
        summary = run(args)
    except UsageError as e:
        if verbose:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except ExtractError as e:
        if verbose:
            traceback.print_exc()
        print(f"error: {e}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 -- anything unexpected is still one line without --verbose
        if verbose:
            traceback.print_exc()
        print(f"error: {type(e).__name__}: {' '.join(str(e).split())[:400]} (rerun with --verbose for the "
              "traceback)", file=sys.stderr)
        return EXIT_FAILURE
    for w in summary["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(summary_line(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
