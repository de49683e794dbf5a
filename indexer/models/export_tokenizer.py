"""Build ``tokenizer.json`` for an exported bundle from open_clip's own BPE vocabulary.

open_clip tokenizes with its ``SimpleTokenizer``; a bundle carries a
Hugging Face ``tokenizers`` file instead, so that the app (and Immich) can
tokenize without open_clip.  ``build_tokenizer`` builds, offline, a
``tokenizers`` BPE model that reproduces SimpleTokenizer exactly: the same
merges (read from ``bpe_simple_vocab_16e6.txt.gz`` inside the open_clip
package), the GPT-2 byte-level alphabet, the ``</w>`` end-of-word suffix,
lower-casing and whitespace clean-up, and the same pre-tokenisation regex.
The ids are open_clip's: 49,408 tokens, start 49406, end 49407.  Needs
open_clip and tokenizers (the ``[export]`` extra), imported only when called.
"""

from __future__ import annotations

import gzip
from typing import Any

from indexer.errors import ModelError

# open_clip's SimpleTokenizer pre-tokenisation (special tokens are handled as
# added tokens by `tokenizers`, before this runs).
CLIP_SPLIT_REGEX = r"""'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"""
CLIP_VOCAB_SIZE = 49408
OPEN_CLIP_SPECIAL = ("<start_of_text>", "<end_of_text>")
HF_SPECIAL = ("<|startoftext|>", "<|endoftext|>")


def build_tokenizer(*, hf_style: bool = False, context_length: int = 77) -> tuple[Any, dict[str, Any]]:
    """A ``tokenizers.Tokenizer`` equal to open_clip's SimpleTokenizer, and its
    tokenizer_config mapping.

    ``hf_style`` spells the special tokens as Hugging Face's CLIP tokenizer
    does (``<|startoftext|>``, ``<|endoftext|>``, pad = end token), like the
    files Immich ships; ids are the same either way.
    """
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    byte_alphabet = list(_bytes_to_unicode().values())
    merges = _open_clip_merges()
    vocab_list = byte_alphabet + [c + "</w>" for c in byte_alphabet] + ["".join(m) for m in merges]
    start, end = HF_SPECIAL if hf_style else OPEN_CLIP_SPECIAL
    vocab_list += [start, end]
    vocab = {token: index for index, token in enumerate(vocab_list)}
    if len(vocab) != len(vocab_list):
        raise ModelError("open_clip's BPE vocabulary has duplicate entries")

    bpe = models.BPE(
        vocab=vocab,
        merges=merges,
        continuing_subword_prefix="",
        end_of_word_suffix="</w>",
        unk_token=end if hf_style else None,
        fuse_unk=False,
    )
    tokenizer = Tokenizer(bpe)
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "), normalizers.Lowercase()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(CLIP_SPLIT_REGEX), behavior="removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.RobertaProcessing(
        (end, vocab[end]), (start, vocab[start]), trim_offsets=False, add_prefix_space=False
    )
    tokenizer.add_special_tokens([AddedToken(start, special=True, normalized=False),
                                  AddedToken(end, special=True, normalized=False)])
    config: dict[str, Any] = {
        "bos_token": start,
        "eos_token": end,
        "model_max_length": context_length,
        "do_lower_case": True,
        "source": "open_clip bpe_simple_vocab_16e6.txt.gz (SimpleTokenizer, clean='lower')",
    }
    if hf_style:
        config.update({"pad_token": end, "unk_token": end, "tokenizer_class": "CLIPTokenizer"})
    return tokenizer, config




def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP byte -> printable character table (same as open_clip's)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs)))


def _open_clip_merges() -> list[tuple[str, str]]:
    """The merges SimpleTokenizer uses: lines 1 .. 48894 of open_clip's vocab file."""
    try:
        from importlib import resources

        data = (resources.files("open_clip") / "bpe_simple_vocab_16e6.txt.gz").read_bytes()
    except (ImportError, FileNotFoundError, ModuleNotFoundError) as exc:
        raise ModelError("open_clip's BPE vocabulary is missing; install the [export] extra") from exc
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    lines = lines[1 : 49152 - 256 - 2 + 1]
    merges = []
    for line in lines:
        parts = line.split()
        if len(parts) != 2:
            raise ModelError(f"unexpected line in open_clip's BPE vocabulary: {line!r}")
        merges.append((parts[0], parts[1]))
    return merges
