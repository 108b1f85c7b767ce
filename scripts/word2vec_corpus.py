#!/usr/bin/env python3
"""Writes the word2vec corpus of `make word2vec-corpus`: text8-style text from Debian packages alone.

One line per document, lowercase a-z words separated by single spaces (every other character is a word
break, so "don't" gives "don t" and digits vanish, as in text8):
  - GCIDE (dict-gcide): each dictionary entry, with the dictd markup stripped — pronunciation spans
    \\Ar*rive"\\, source tags such as [1913 Webster] or [WordNet 1.5], cross-reference braces {…};
  - WordNet 3 (wordnet-base): each synset's gloss (the text after "|" in data.noun/verb/adj/adv);
  - fortunes (fortunes): each fortune (records separated by "%" lines);
  - the Jargon File (jargon-text): each paragraph.
Standard library only; the packages are installed by scripts/word2vec-corpus.sh.

Usage: word2vec_corpus.py OUT
"""
import gzip
import os
import re
import sys

WORD = re.compile(r"[a-z]+")
SOURCE_TAG = re.compile(r"\[(?:1913 Webster|WordNet[^\]]*|PJC|Webster 1913 Suppl\.|Century Dict\.|Chambers[^\]]*|[A-Z][A-Za-z. ]{0,30} [0-9]{4})\]")
PRONUNCIATION = re.compile(r"\\[^\\\n]*\\")


def words(text):
    return " ".join(WORD.findall(text.lower()))


def gcide():
    """The entries of /usr/share/dictd/gcide.dict.dz, located through its index (base64 offsets)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    digit = {c: i for i, c in enumerate(alphabet)}

    def b64(s):
        v = 0
        for c in s:
            v = v * 64 + digit[c]
        return v

    data = gzip.open("/usr/share/dictd/gcide.dict.dz").read()
    spans = set()
    with open("/usr/share/dictd/gcide.index", encoding="utf-8", errors="replace") as index:
        for line in index:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[0].startswith("00-"):
                continue
            spans.add((b64(parts[1]), b64(parts[2])))
    for offset, length in sorted(spans):
        text = data[offset:offset + length].decode("utf-8", errors="replace")
        text = SOURCE_TAG.sub(" ", PRONUNCIATION.sub(" ", text))
        yield text.replace("{", " ").replace("}", " ")


def wordnet():
    for part in ("noun", "verb", "adj", "adv"):
        with open(f"/usr/share/wordnet/data.{part}", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  ") or "|" not in line:
                    continue        # the licence header lines start with two spaces
                yield line.split("|", 1)[1]


def fortunes():
    directory = "/usr/share/games/fortunes"
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if "." in name or os.path.islink(path) or not os.path.isfile(path):
            continue            # skip the .dat indexes and the .u8 links
        with open(path, encoding="utf-8", errors="replace") as f:
            for record in f.read().split("\n%\n"):
                yield record


def jargon():
    with gzip.open("/usr/share/doc/jargon-text/jargon.txt.gz", "rt", encoding="utf-8", errors="replace") as f:
        for paragraph in re.split(r"\n\s*\n", f.read()):
            yield paragraph


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: word2vec_corpus.py OUT")
    out = sys.argv[1]
    temporary = out + ".partial"
    counts = {}
    with open(temporary, "w", encoding="ascii") as f:
        for name, source in (("gcide", gcide), ("wordnet", wordnet), ("fortunes", fortunes), ("jargon", jargon)):
            n = 0
            for document in source():
                line = words(document)
                if line:
                    f.write(line + "\n")
                    n += line.count(" ") + 1
            counts[name] = n
    os.replace(temporary, out)     # atomic: a half-written corpus never has the final name
    total = sum(counts.values())
    print(f"{out}: {total} words (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")")


if __name__ == "__main__":
    main()
