"""Build a tiny random BERT text classifier on disk: exercises real loading, no download."""

from __future__ import annotations

from pathlib import Path

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


def build_tiny_model(tmp_path: Path, labels: tuple[str, ...] = ("not-offensive", "offensive")) -> Path:
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    torch.manual_seed(0)
    out = tmp_path / "tiny-bert"
    out.mkdir(parents=True, exist_ok=True)
    vocab = out / "vocab.txt"
    vocab.write_text(
        "\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]) + "\n", encoding="utf-8"
    )
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    config = BertConfig(
        vocab_size=len(WORDS) + 5,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={n: i for i, n in enumerate(labels)},
    )
    BertForSequenceClassification(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
