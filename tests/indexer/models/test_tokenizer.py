"""The tokenizers-based CLIP tokenizer gives open_clip's token ids exactly."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import ModelError
from indexer.models.tokenizer import ClipTokenizer, clean_text

open_clip = pytest.importorskip("open_clip")

CURATED = [
    "", " ", "   \t\n ", "a", "a photo of a cat", "A Photo Of A Cat", "I'M SHOUTING", "it's what we'll've done",
    "they're here, aren't they?", "Hello, World!!", "...", "?!?!", "don't stop-believing", "x" * 300,
    " ".join(["word"] * 100), " ".join(["sunset over the mountains"] * 20),
    "café crème brûlée", "naïve façade", "Zürich Straße", "straße", "İstanbul", "ΟΔΟΣ Σίσυφος", "ǅungla",
    "Ǆ Ǉ Ǌ", "Æsir Œuvre", "Ωmega", "x\u0301", "e\u0301clair", "cafe\u0301", "Å\u030a",
    "東京タワーの夜景", "富士山と桜", "北京的秋天", "한국어 문장", "ｶﾀｶﾅ", "Ａ１！ＦＵＬＬＷＩＤＴＨ",
    "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया", "ไทย ภาษา", "Привет мир", "Ελληνικά γράμματα",
    "emoji 🐱🐶🎉 party", "👨‍👩‍👧‍👦 family", "🏳️‍🌈 flag", "❤️ love", "👍🏽", "🇯🇵🇫🇷",
    "&amp; &lt;tag&gt; &quot;q&quot;", "<b>bold</b> &amp; text", "&amp;amp;", "a&nbsp;b", "&#39;quoted&#39;",
    "&eacute;t&eacute;", "&EACUTE;", "“curly” ‘quotes’", "„German“ «French»", "ﬁne ﬂowers ﬀ", "ĳs",
    "tab\tnew\nline\r\nreturn\rend", "line\u2028separator\u2029para", "\x85next line", "\x93smart\x94",
    "control\x01\x02\x7fchars", "\ufeffbom start", "\u200bzero\u200dwidth\u200c", "a\u00a0non-breaking",
    "ideographic\u3000space", "\x1b[31mred\x1b[0m", "\ud83d lone surrogate", "\ud83d\ude00 paired",
    "<start_of_text>", "hello<end_of_text>world", "<|startoftext|>", "1234567890", "3.14159", "$100 & 50%",
    "C++ / C# / F#", "e-mail@example.com", "http://example.com/path?q=1&r=2", "#hashtag @mention",
    "Ⅻ roman", "x² + y³", "½ cup ¼ tsp", "ß", "ǈ", "Ⓐ circled", "𝓕𝓪𝓷𝓬𝔂 𝕥𝕖𝕩𝕥", "™ © ®", "— – -",
    "…ellipsis…", "°C 45°", "¿Qué? ¡Sí!", "l'été à Paris", "rock'n'roll", "'s 't 're 've 'm 'll 'd",
    "O'NEILL'S", "snake_case_words", "CamelCaseWords", "UPPER lower MiXeD", "a.b.c.d", "(parens) [brackets]",
    "{braces} <angles>", "tabs\t\tand  spaces", "trailing space ", " leading space",
]

WORDS = [
    "photo", "sunset", "beach", "dog", "Cat", "mountain", "night", "city", "café", "naïve", "東京", "서울",
    "Москва", "🌅", "🐕", "über", "niño", "façade", "street-food", "don't", "it's", "ÉCOLE", "São", "Paulo",
    "42", "3.5mm", "f/1.8", "ISO-400", "#travel", "@friend", "&amp;", "“quoted”", "ﬁsh", "Ｗｉｄｅ", "snow",
    "красный", "zürich", "ñandú", "😀", "🏔️", "北海道", "বাংলা", "tiếng", "Việt", "ĳssel", "...", "!!",
]


def corpus(n_random: int = 160, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    strings = list(CURATED)
    separators = [" ", "  ", ", ", "-", "\t", "", "\n", " & ", "/"]
    for _ in range(n_random):
        k = rng.choice([1, 2, 3, 5, 8, 13, 40])
        parts = [rng.choice(WORDS) for _ in range(k)]
        text = parts[0]
        for part in parts[1:]:
            text += rng.choice(separators) + part
        if rng.random() < 0.3:
            text = text.upper()
        strings.append(text)
    return strings


@pytest.fixture(scope="module")
def tokenizer_files(tmp_path_factory) -> dict[str, tuple[Path, dict]]:
    from indexer.models.export_tokenizer import build_tokenizer

    out = {}
    root = tmp_path_factory.mktemp("tokenizers")
    for style, hf in (("open_clip", False), ("hf", True)):
        tok, cfg = build_tokenizer(hf_style=hf)
        path = root / f"{style}.json"
        tok.save(str(path))
        out[style] = (path, cfg)
    return out


@pytest.fixture(scope="module")
def reference():
    return open_clip.get_tokenizer("ViT-B-32")


@pytest.mark.parametrize("style", ["open_clip", "hf"])
def test_token_ids_match_open_clip(tokenizer_files, reference, style):
    path, cfg = tokenizer_files[style]
    ours = ClipTokenizer(path, 77, {k: v for k, v in cfg.items() if k != "pad_token"})
    strings = corpus()
    if style == "hf":
        # Hugging Face's vocabulary spells the special tokens <|startoftext|>;
        # only a literal special-token string can tokenise differently.
        strings = [s for s in strings if "_of_text>" not in s and "<|startoftext|>" not in s]
    assert len(strings) >= 200
    got = ours(strings).ids
    expected = reference(strings).numpy()
    mismatched = [s for s, a, b in zip(strings, got, expected) if not np.array_equal(a, b)]
    assert not mismatched, f"{len(mismatched)} of {len(strings)} differ, e.g. {mismatched[:5]!r}"


def test_lengths_and_trimming(tokenizer_files, reference):
    path, cfg = tokenizer_files["open_clip"]
    ours = ClipTokenizer(path, 77, cfg)
    batch = ours(["a photo of a cat", "", "x " * 200])
    assert batch.ids.shape == (3, 77) and batch.ids.dtype == np.int64
    assert batch.lengths.tolist() == [7, 2, 77]
    assert batch.ids[1, :3].tolist() == [ours.start_id, ours.end_id, 0]
    # truncation keeps the end token in the last slot, like open_clip
    assert batch.ids[2, -1] == ours.end_id and batch.ids[2, 0] == ours.start_id
    short = ours(["a photo of a cat", "dog"])
    assert short.longest == 7
    assert short.trimmed().shape == (2, 7)
    np.testing.assert_array_equal(short.trimmed(), reference(["a photo of a cat", "dog"]).numpy()[:, :7])


def test_hf_style_pad_token_is_the_end_token(tokenizer_files):
    path, cfg = tokenizer_files["hf"]
    ours = ClipTokenizer(path, 77, cfg)
    assert ours.start_id == 49406 and ours.end_id == 49407 and ours.pad_id == 49407
    ids = ours(["a dog"]).ids[0]
    assert ids[:4].tolist() == [49406, 320, 1929, 49407] and set(ids[4:].tolist()) == {49407}


def test_context_length_other_than_77(tokenizer_files):
    path, cfg = tokenizer_files["open_clip"]
    ours = ClipTokenizer(path, 16, cfg)
    batch = ours(["one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen"])
    assert batch.ids.shape == (1, 16) and batch.ids[0, -1] == ours.end_id and batch.lengths[0] == 16


def test_clean_text_matches_open_clip_cleaning():
    from open_clip.tokenizer import _clean_lower

    for text in corpus(n_random=40):
        assert clean_text(text) == _clean_lower(text), repr(text)


def test_broken_tokenizer_file_is_a_model_error(tmp_path):
    bad = tmp_path / "tokenizer.json"
    bad.write_text('{"model": {"type": "nonsense"}}')
    with pytest.raises(ModelError, match="cannot load tokenizer"):
        ClipTokenizer(bad, 77)


def test_non_clip_vocabulary_uses_its_own_post_processor(tmp_path):
    """SigLIP-like: no start token, '</s>' appended by the tokenizer, '<pad>' padding."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    vocab = {"<pad>": 0, "</s>": 1, "<unk>": 2, "a": 3, "photo": 4, "of": 5, "cat": 6, "dog": 7}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    path = tmp_path / "tokenizer.json"
    tok.save(str(path))
    ours = ClipTokenizer(path, 6, {"pad_token": "<pad>", "eos_token": "</s>"}, clean="canonicalize")
    assert not ours.clip_style and ours.pad_id == 0
    batch = ours(["A photo, of a CAT!", "dog dog dog dog dog dog dog dog", ""])
    assert batch.ids.tolist() == [[3, 4, 5, 3, 6, 1], [7, 7, 7, 7, 7, 1], [1, 0, 0, 0, 0, 0]]
    assert batch.lengths.tolist() == [6, 6, 1]


def test_other_cleanings_match_open_clip():
    from open_clip.tokenizer import _clean_canonicalize, _clean_whitespace

    from indexer.models.tokenizer import clean_canonicalize, clean_whitespace

    for text in corpus(n_random=40):
        assert clean_whitespace(text) == _clean_whitespace(text), repr(text)
        assert clean_canonicalize(text) == _clean_canonicalize(text), repr(text)


def test_unknown_cleaning_is_a_model_error(tokenizer_files):
    path, cfg = tokenizer_files["open_clip"]
    with pytest.raises(ModelError, match="unknown text cleaning"):
        ClipTokenizer(path, 77, cfg, clean="shout")
