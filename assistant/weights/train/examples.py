"""Rendering training rows exactly as the chat renders prompts, and tokenizing them.

A row becomes the app's own prompt (the chat template `LlamaBackend` resolves, BOS
added by llama.cpp's tokenizer) followed by the answer and the template's end-of-turn
marker: the tokens the model sees at inference and the tokens it should then produce.
The answer is tokenized on its own because at inference the model generates it after
the prompt's tokens, never re-tokenized together with them.

transformers trains on these ids, so its tokenizer must agree with llama.cpp's on every
example; `check_tokenizer` refuses to go on when it does not.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from assistant.llm.gguf import GGUFInfo
from assistant.llm.templates import ChatTemplate, resolve_template
from assistant.weights.train.dataset import SFTRow
from assistant.weights.train.errors import TokenizerMismatchError

# Longer rows are left out of training and evaluation (and counted): one row is one
# step, and a long one costs memory and minutes on a CPU.
MAX_EXAMPLE_TOKENS = 1024

Encode = Callable[[str, bool], list[int]]


@dataclass(frozen=True)
class Example:
    """A row rendered and tokenized: loss is taken on `answer_ids` only."""

    row: SFTRow
    prompt_text: str
    answer_text: str
    prompt_ids: tuple[int, ...]
    answer_ids: tuple[int, ...]

    @property
    def ids(self) -> list[int]:
        return [*self.prompt_ids, *self.answer_ids]


class LlamaVocab:
    """llama.cpp's tokenizer for a GGUF (vocabulary only, no weights) and its template."""

    def __init__(self, info: GGUFInfo, chat_template_setting: str) -> None:
        import llama_cpp

        from assistant.llm.llama import route_llama_logs, special_tokens

        route_llama_logs()
        self._llm = llama_cpp.Llama(model_path=str(info.path), vocab_only=True, verbose=False)
        bos, eos = special_tokens(self._llm)
        self.template: ChatTemplate = resolve_template(
            info.chat_template,
            info.architecture,
            chat_template_setting,
            bos,
            eos,
            adds_bos=bool(self._llm._model.add_bos_token()),
        )
        # What ends an answer: the turn marker the chat stops on, else end of sequence.
        self.end_of_answer = self.template.stop[0] if self.template.stop else eos

    def encode(self, text: str, add_bos: bool) -> list[int]:
        """Token ids as the chat computes them (special tokens parsed)."""
        return list(self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True))

    def decode(self, ids: Sequence[int]) -> str:
        return bytes(self._llm.detokenize(list(ids), special=True)).decode("utf-8", "replace")

    def close(self) -> None:
        self._llm.close()


def render(row: SFTRow, vocab: LlamaVocab) -> tuple[str, str]:
    """The prompt as the chat would send it, and the answer with its end marker."""
    return vocab.template.render(row.prompt), row.answer.strip() + vocab.end_of_answer


def tokenize_rows(
    rows: Iterable[SFTRow], vocab: LlamaVocab, max_tokens: int = MAX_EXAMPLE_TOKENS
) -> tuple[list[Example], int]:
    """Render and tokenize rows; returns the examples and how many were too long."""
    examples, too_long = [], 0
    for row in rows:
        prompt, answer = render(row, vocab)
        prompt_ids, answer_ids = vocab.encode(prompt, True), vocab.encode(answer, False)
        if len(prompt_ids) + len(answer_ids) > max_tokens:
            too_long += 1
            continue
        examples.append(Example(row, prompt, answer, tuple(prompt_ids), tuple(answer_ids)))
    return examples, too_long


def hf_encoder(tokenizer: Any) -> Encode:
    """A transformers tokenizer as an `Encode` (BOS only through its special tokens)."""

    def encode(text: str, add_bos: bool) -> list[int]:
        return list(tokenizer(text, add_special_tokens=add_bos)["input_ids"])

    return encode


def _first_difference(a: Sequence[int], b: Sequence[int]) -> int:
    pairs = enumerate(zip(a, b, strict=False))
    return next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))


def check_tokenizer(examples: Iterable[Example], encode: Encode, vocab: LlamaVocab) -> int:
    """Refuse when `encode` (transformers) and llama.cpp disagree on any example.

    Training on ids the inference runtime would never produce teaches the wrong thing
    without any error, so this compares every prompt and every answer. Returns how many
    texts were compared.
    """
    checked = 0
    for example in examples:
        for part, text, ids, bos in (
            ("prompt", example.prompt_text, example.prompt_ids, True),
            ("answer", example.answer_text, example.answer_ids, False),
        ):
            theirs = encode(text, bos)
            checked += 1
            if list(theirs) == list(ids):
                continue
            at = _first_difference(ids, theirs)
            raise TokenizerMismatchError(
                f"transformers and llama.cpp tokenize the {part} of sft row "
                f"{example.row.index} differently at token {at}: llama.cpp "
                f"{vocab.decode(ids[at : at + 3])!r} vs transformers "
                f"{vocab.decode(theirs[at : at + 3])!r}",
                "training would learn tokens the chat never sees; use a GGUF whose "
                "tokenizer transformers reads faithfully, or leave this row out",
            )
    return checked
