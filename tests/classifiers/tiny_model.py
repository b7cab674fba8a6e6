"""Build a tiny random BERT text classifier on disk: exercises real loading, no download."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WORDS = [
    "you",
    "are",
    "a",
    "an",
    "idiot",
    "kind",
    "thanks",
    "book",
    "session",
    "i",
    "know",
    "where",
    "live",
    "how",
    "do",
    "the",
    "one",
    "of",
    "our",
    "clients",
    "told",
    "us",
]


def _tokenizer(out: Path, words: list[str]) -> Any:
    """A word-level BERT tokenizer over ``words`` (transformers 4 and 5 spell this differently)."""
    from transformers import BertTokenizerFast

    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *words]
    vocab = out / "vocab.txt"
    vocab.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    try:
        tokenizer = BertTokenizerFast(vocab={t: i for i, t in enumerate(tokens)}, do_lower_case=True)
    except TypeError:
        tokenizer = None
    if tokenizer is None or len(tokenizer.get_vocab()) < len(tokens):
        tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    assert len(tokenizer.get_vocab()) == len(tokens), "tiny tokenizer lost its vocabulary"
    return tokenizer


def _config(n_words: int, labels: tuple[str, ...], layers: int) -> Any:
    from transformers import BertConfig

    return BertConfig(
        vocab_size=n_words + 5,
        hidden_size=16,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={n: i for i, n in enumerate(labels)},
    )


def build_tiny_model(tmp_path: Path, labels: tuple[str, ...] = ("not-offensive", "offensive")) -> Path:
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(0)
    out = tmp_path / "tiny-bert"
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer(out, WORDS)
    BertForSequenceClassification(_config(len(WORDS), labels, layers=1)).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


NAMES = ["zorbina", "quillon"]  # invented: no gazetteer knows them
NER_WORDS = [
    *NAMES,
    "has",
    "depression",
    "and",
    "is",
    "seeing",
    "a",
    "therapist",
    "won",
    "the",
    "raffle",
    "hi",
]


def build_tiny_ner(tmp_path: Path, labels: tuple[str, ...] = ("O", "B-PER", "I-PER")) -> Path:
    """A tiny token classifier whose weights are set by hand: NAMES are B-PER, all else O.

    No hidden layers: each token's embedding goes through LayerNorm to the classifier, so a
    name's embedding (one large component) points at B-PER and every other (zero) embedding
    leaves only the bias, which favours O.
    """
    import torch
    from transformers import BertForTokenClassification

    out = tmp_path / "tiny-ner"
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _tokenizer(out, NER_WORDS)
    model = BertForTokenClassification(_config(len(NER_WORDS), labels, layers=0))
    with torch.no_grad():
        emb = model.bert.embeddings
        for table in (emb.word_embeddings, emb.position_embeddings, emb.token_type_embeddings):
            table.weight.zero_()
        signal = torch.zeros(16)
        signal[0] = 10.0
        for name in NAMES:
            emb.word_embeddings.weight[5 + NER_WORDS.index(name)] = signal
        normed = (signal - signal.mean()) / signal.std(unbiased=False)
        model.classifier.weight.zero_()
        model.classifier.bias.zero_()
        model.classifier.bias[0] = 2.0
        model.classifier.weight[labels.index("B-PER")] = normed * 0.5
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
