#!/usr/bin/env python3
"""Loads a `circuits lm train` model file into PyTorch and scores a text with it.

The file's `rnn.*` tensors go into torch.nn.LSTM / GRU / RNN (batch_first, the file's layers, hidden
size and directions) with load_state_dict(strict=True) after the prefix is removed, `head.*` into
torch.nn.Linear, likewise strict. The text (UTF-8, every character in the file's vocabulary) is read
as one stream from a zero state; prints the mean cross-entropy of predicting each character from the
ones before it, in nats, as one JSON line: {"loss": …, "strict": true}.

Usage: lm_torch_check.py MODEL.safetensors TEXT_FILE
"""

import json
import sys

import torch
from safetensors import safe_open


def main():
    model_path, text_path = sys.argv[1], sys.argv[2]
    with safe_open(model_path, framework="pt") as f:
        metadata = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    if metadata.get("circuits.format") != "char-lm-1":
        sys.exit(f"{model_path}: not a circuits character language model")
    config = json.loads(metadata["recurrent"])
    vocabulary = json.loads(metadata["vocabulary"])
    cells = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn_tanh": torch.nn.RNN, "rnn_relu": torch.nn.RNN}
    extra = {"nonlinearity": "relu"} if config["cell"] == "rnn_relu" else {}
    rnn = cells[config["cell"]](len(vocabulary), config["hidden"], num_layers=config["layers"], bias=config["bias"],
                                batch_first=True, bidirectional=config["bidirectional"], **extra)
    rnn.load_state_dict({k[len("rnn."):]: v.float() for k, v in tensors.items() if k.startswith("rnn.")}, strict=True)
    head = torch.nn.Linear(tensors["head.weight"].shape[1], len(vocabulary))
    head.load_state_dict({k[len("head."):]: v.float() for k, v in tensors.items() if k.startswith("head.")}, strict=True)
    lookup = {c: i for i, c in enumerate(vocabulary)}
    with open(text_path, encoding="utf-8") as handle:
        ids = torch.tensor([lookup[c] for c in handle.read()])
    with torch.no_grad():
        x = torch.nn.functional.one_hot(ids[:-1], len(vocabulary)).float().unsqueeze(0)
        out, _ = rnn(x)
        loss = torch.nn.functional.cross_entropy(head(out[0]), ids[1:])
    print(json.dumps({"loss": loss.item(), "strict": True}))


if __name__ == "__main__":
    main()
