"""The optional weights loop: LoRA training on an export, the GGUF adapter, `adapters`.

Everything runs through the real components: the embedded Gemma 3 270M GGUF loaded in
transformers and trained with peft, the adapter written with gguf-py and loaded by
llama-cpp-python. The base model loads once for the module (about a minute on a CPU).
"""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant.compose import Environment, llama_loader
from assistant.core.ports.chat import ChatMessage, GenerationParams
from assistant.core.settings import Settings
from assistant.llm.gguf import read_gguf
from assistant.llm.process import ProcessBackend
from assistant.system.paths import resolve_paths
from assistant.weights.adapters import (
    ADAPTER_FILE,
    META_FILE,
    adapter_for,
    adapters_dir,
    enable,
    enabled_name,
    list_adapters,
    model_sha256,
    status_label,
    trained_on,
    write_json,
)
from assistant.weights.train.base import TrainingBase, check_architecture, load_base
from assistant.weights.train.dataset import latest_export, load_export
from assistant.weights.train.errors import (
    TokenizerMismatchError,
    TrainError,
    TrainingStopped,
    UnsupportedModelError,
)
from assistant.weights.train.evaluate import LlamaScorer, LossScore, MatchScore, Scores, decide
from assistant.weights.train.examples import LlamaVocab, check_tokenizer, hf_encoder, tokenize_rows
from assistant.weights.train.gguf_adapter import gguf_tensor_name
from assistant.weights.train.options import LoraOptions
from assistant.weights.train.progress import TrainProgress
from assistant.weights.train.run import TrainRequest, TrainResult, run_training
from tests.cli_helpers import assert_clean_error, cli_environment, run
from tests.train_fixtures import FACTS, SYSTEM, sft_row, write_export

pytestmark = pytest.mark.train

HEAVY = ("torch", "transformers", "peft", "gguf", "llama_cpp")


def environment(root: Path, gguf_path: Path) -> Environment:
    return Environment(resolve_paths(str(root)), Settings(model=str(gguf_path), temperature=0.0))


def export_in(env: Environment, rows: list[dict[str, object]], held: list[int]) -> Path:
    return write_export(env.paths.data / "exports" / "dataset-0001", rows, held)


def messages(question: str) -> list[ChatMessage]:
    return [ChatMessage("system", str(SYSTEM["content"])), ChatMessage("user", question)]


@pytest.fixture(scope="module")
def base(gguf_path: Path) -> TrainingBase:
    return load_base(read_gguf(gguf_path))


@pytest.fixture(scope="module")
def overfit(
    base: TrainingBase, gguf_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Environment, TrainResult]:
    """Two facts trained to memorization; a paraphrase of the first is held out."""
    env = environment(tmp_path_factory.mktemp("overfit-home"), gguf_path)
    rows = [sft_row(*FACTS[0]), sft_row(*FACTS[1], source="approved")]
    rows.append(sft_row("What's project Zephyr's code name?", FACTS[0][1]))
    export_in(env, rows, held=[2])
    events: list[TrainProgress] = []
    options = LoraOptions(steps=30, lr=2e-3)
    result = run_training(env, TrainRequest(options=options), events.append, base=base)
    assert [e.step for e in events if e.stage == "train"][-1] == 30
    assert [e for e in events if e.stage == "train"][-1].eta_s == pytest.approx(0.0)
    assert events[-1].stage == "done"
    return env, result


# -- reading exports ----------------------------------------------------------


def test_empty_export_is_refused(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [])
    with pytest.raises(TrainError, match="no training examples") as info:
        load_export(folder)
    assert "assistant export" in info.value.hint


def test_no_export_at_all_names_the_command(tmp_path: Path) -> None:
    with pytest.raises(TrainError, match="no dataset export") as info:
        latest_export(resolve_paths(str(tmp_path)))
    assert "assistant export" in info.value.hint


def test_newest_export_is_picked_and_split_is_kept(tmp_path: Path) -> None:
    paths = resolve_paths(str(tmp_path))
    rows = [sft_row(q, a) for q, a in FACTS]
    write_export(paths.data / "exports" / "a", rows[:1], created_at="2026-01-01T00:00:00+00:00")
    write_export(paths.data / "exports" / "b", rows, [3], created_at="2026-02-01T00:00:00+00:00")
    export = load_export(latest_export(paths))
    assert export.path.name == "b"
    assert [r.index for r in export.train] == [0, 1, 2]
    assert [r.index for r in export.held_out] == [3]
    assert export.train[0].is_correction
    assert export.train[0].prompt[0].role == "system"


def test_a_row_without_an_answer_is_named(tmp_path: Path) -> None:
    bad = {"messages": [{"role": "user", "content": "hi"}, {"role": "user", "content": "?"}]}
    folder = write_export(tmp_path / "export", [sft_row(*FACTS[0]), bad])
    with pytest.raises(TrainError, match="row 1"):
        load_export(folder)


def test_split_pointing_past_the_rows_is_refused(tmp_path: Path) -> None:
    folder = write_export(tmp_path / "export", [sft_row(*FACTS[0])], held_out=[5])
    with pytest.raises(TrainError, match="split"):
        load_export(folder)


# -- checks before any training -------------------------------------------------


def tiny_gguf(path: Path, architecture: str) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), architecture)
    writer.add_name("tiny")
    writer.add_tensor("token_embd.weight", np.zeros((4, 8), dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_unsupported_architecture_is_a_clear_error(tmp_path: Path) -> None:
    info = read_gguf(tiny_gguf(tmp_path / "tiny-qwen.gguf", "qwen2"))
    with pytest.raises(UnsupportedModelError, match="`qwen2`") as error:
        check_architecture(info)
    assert "llama-architecture or Gemma 3" in error.value.hint


def test_cli_refuses_an_unsupported_model(home: Path, gguf_path: Path, tmp_path: Path) -> None:
    env = cli_environment(home, tiny_gguf(tmp_path / "tiny-qwen.gguf", "qwen2"))
    write_export(home / "data" / "exports" / "dataset-0001", [sft_row(*FACTS[0])])
    assert_clean_error(run(["train"], env), "does not support `qwen2`")


def test_cli_refuses_an_empty_export(home: Path, gguf_path: Path) -> None:
    write_export(home / "data" / "exports" / "dataset-0001", [])
    assert_clean_error(run(["train"], cli_environment(home, gguf_path)), "no training examples")


def test_cli_without_the_train_extra_says_how_to_install(home: Path, gguf_path: Path) -> None:
    write_export(home / "data" / "exports" / "dataset-0001", [sft_row(*FACTS[0])])
    code = (
        "import sys\n"
        "sys.modules['peft'] = None  # as if the [train] extra were not installed\n"
        "from assistant.cli import main\n"
        "sys.exit(main(['train']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=cli_environment(home, gguf_path),
        timeout=120,
        check=False,
    )
    assert_clean_error(result, "[train] extra")
    assert "pip install 'assistant[train]'" in result.stderr


def test_training_under_the_remote_backend_is_refused_with_the_way_out(
    home: Path, gguf_path: Path
) -> None:
    write_export(home / "data" / "exports" / "dataset-0001", [sft_row(*FACTS[0])])
    env = cli_environment(home, gguf_path) | {
        "ASSISTANT_BACKEND": "openai",
        "ASSISTANT_MODEL": "llama3",
        "ASSISTANT_BASE_URL": "http://127.0.0.1:9/v1",
    }
    result = run(["train"], env)
    assert_clean_error(result, "with the `openai` backend the model runs on the server")
    assert "ASSISTANT_BACKEND=llama" in result.stderr
    assert not (home / "data" / "adapters").exists()


def test_bad_options_are_refused_before_loading(home: Path, gguf_path: Path) -> None:
    write_export(home / "data" / "exports" / "dataset-0001", [sft_row(*FACTS[0])])
    assert_clean_error(run(["train", "--rank", "0"], cli_environment(home, gguf_path)), "--rank")


def test_training_modules_load_nothing_heavy_until_used() -> None:
    code = (
        "import sys\n"
        "import assistant.cli, assistant.weights.adapters, assistant.weights.train.run\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_llama_q_and_k_rows_take_the_converters_permutation() -> None:
    """The GGUF's attn_q rows are permuted per head (convert_hf_to_gguf.py's permute);
    a LoRA B trained in transformers' order must be permuted the same way."""
    from assistant.weights.train.gguf_adapter import permute_rows

    heads, head_dim = 3, 4
    b = np.arange(heads * head_dim * 2, dtype=np.float32).reshape(heads * head_dim, 2)
    permuted = permute_rows(b, heads)
    # Within a head, transformers' halves [0 1 | 2 3] interleave to llama.cpp's [0 2 1 3].
    assert permuted[:, 0].tolist()[:4] == [0.0, 4.0, 2.0, 6.0]
    assert sorted(permuted[:, 0].tolist()) == b[:, 0].tolist()  # rows move, none change
    assert np.array_equal(permuted[4:8], permute_rows(b[4:8], 1))  # head by head


def test_gemma_projection_names_map_to_llama_cpp_tensors() -> None:
    expected = {
        "self_attn.q_proj": "attn_q",
        "self_attn.k_proj": "attn_k",
        "self_attn.v_proj": "attn_v",
        "self_attn.o_proj": "attn_output",
        "mlp.gate_proj": "ffn_gate",
        "mlp.up_proj": "ffn_up",
        "mlp.down_proj": "ffn_down",
    }
    for module, tensor in expected.items():
        name = gguf_tensor_name(f"model.layers.17.{module}", "gemma3", 18)
        assert name == f"blk.17.{tensor}.weight"


def test_tokenizer_mismatch_is_refused(base: TrainingBase, gguf_path: Path, tmp_path: Path) -> None:
    vocab = LlamaVocab(read_gguf(gguf_path), "")
    try:
        rows = load_export(write_export(tmp_path / "export", [sft_row(*FACTS[0])])).train
        examples, _ = tokenize_rows(rows, vocab)
        right = hf_encoder(base.tokenizer)
        assert check_tokenizer(examples, right, vocab) == 2  # prompt and answer agree

        def split_first_word(text: str, add_bos: bool) -> list[int]:
            # A converted tokenizer that splits one word differently (SmolLM2 adds no
            # BOS, so a lost BOS would go unseen): the first token becomes two.
            ids = right(text, add_bos)
            return [ids[0], ids[0], *ids[1:]]

        with pytest.raises(TokenizerMismatchError, match="prompt of sft row 0"):
            check_tokenizer(examples, split_first_word, vocab)
    finally:
        vocab.close()


# -- the evaluation's verdict ----------------------------------------------------


def scores(held: float, regression: float, matched: int = 1, parroted: int = 0) -> Scores:
    return Scores(
        LossScore(2, 10, held * 10),
        LossScore(10, 100, regression * 100),
        MatchScore(1, matched),
        MatchScore(0, 0),
        MatchScore(10, parroted),
    )


def test_the_adapter_wins_only_when_better_and_not_worse_elsewhere() -> None:
    assert decide(scores(2.0, 1.0), scores(1.5, 1.02))[0]
    assert not decide(scores(2.0, 1.0), scores(2.1, 1.0))[0]  # held-out got worse
    assert not decide(scores(2.0, 1.0), scores(1.5, 1.2))[0]  # forgot generic answers
    assert not decide(scores(2.0, 1.0), scores(1.5, 1.0, matched=0))[0]  # lost a correction
    wins, reasons = decide(scores(2.0, 1.0), scores(1.5, 0.9, parroted=3))
    assert not wins and "3 of 10 generic questions" in reasons[-1]  # one answer for all
    no_held = Scores(LossScore(0, 0, 0.0), LossScore(10, 100, 100.0), *[MatchScore(0, 0)] * 3)
    wins, reasons = decide(no_held, no_held)
    assert not wins and "holds out no rows" in reasons[0]


# -- training for real -----------------------------------------------------------


def test_adapter_is_written_with_its_evaluation(
    overfit: tuple[Environment, TrainResult], gguf_path: Path
) -> None:
    env, result = overfit
    root = adapters_dir(env.paths)
    assert [a.name for a in list_adapters(env.paths)] == [result.adapter.name]
    assert not list(root.glob(".partial-*"))
    meta = json.loads((root / result.adapter.name / META_FILE).read_text())
    assert meta["base_model"]["sha256"] == model_sha256(gguf_path)
    assert meta["lora"]["rank"] == 8 and meta["lora"]["alpha"] == 16
    assert meta["export"]["train_rows"] == 2 and meta["export"]["held_out_rows"] == 1
    assert meta["source_message_ids"] == ["msg-0", "msg-1", "msg-2"]
    evaluation = meta["evaluation"]
    assert evaluation["base"]["regression"]["rows"] == 10
    assert evaluation["adapter"]["held_out"]["loss"] < evaluation["base"]["held_out"]["loss"]
    assert evaluation["adapter"]["corrections_trained"] == {"rows": 1, "matched": 1}
    assert enabled_name(env.paths) == (result.adapter.name if result.enabled else None)
    adapter = read_gguf(result.adapter.gguf).metadata
    assert adapter["general.type"] == "adapter" and adapter["adapter.type"] == "lora"
    assert adapter["adapter.lora.alpha"] == 16.0
    assert adapter["general.architecture"] == "llama"  # the default, SmolLM2
    assert read_gguf(result.adapter.gguf).tensor_count == 30 * 7 * 2  # SmolLM2's layers


def test_llama_cpp_logits_change_with_the_adapter(
    overfit: tuple[Environment, TrainResult], gguf_path: Path
) -> None:
    _, result = overfit
    vocab = LlamaVocab(read_gguf(gguf_path), "")
    try:
        rows = load_export(Path(result.adapter.meta["export"]["path"])).train
        examples, _ = tokenize_rows(rows[:1], vocab)
    finally:
        vocab.close()
    losses = []
    for lora in (None, result.adapter.gguf):
        scorer = LlamaScorer(gguf_path, lora, 256, 2)
        try:
            losses.append(scorer.nll(examples[0]))
        finally:
            scorer.close()
    assert losses[1] < losses[0] / 10  # the trained answer became far more likely


def test_chat_answers_a_trained_prompt_with_the_adapter(
    overfit: tuple[Environment, TrainResult],
) -> None:
    env, result = overfit
    enable(env.paths, result.adapter.name)
    lines: list[str] = []
    backend = llama_loader(env)(lines.append)
    assert isinstance(backend, ProcessBackend)
    try:
        assert backend.adapter_path == result.adapter.gguf
        assert status_label(backend) == f"adapter {result.adapter.name}"
        question, answer = FACTS[0]
        params = GenerationParams(max_tokens=32, temperature=0.0)
        reply = "".join(backend.stream(messages(question), params, lambda: False))
        assert reply.strip() == answer
    finally:
        backend.close()


def test_an_adapter_is_not_applied_to_another_model(
    overfit: tuple[Environment, TrainResult], tmp_path: Path
) -> None:
    env, result = overfit
    enable(env.paths, result.adapter.name)
    other = tmp_path / "other.gguf"
    data = bytearray(Path(env.settings.model).read_bytes())
    data[-1] ^= 0xFF  # same size, different file
    other.write_bytes(bytes(data))
    lines: list[str] = []
    assert adapter_for(env.paths, other, lines.append) is None
    assert any("another model" in line for line in lines)


def test_interrupted_training_leaves_nothing_behind(
    base: TrainingBase, gguf_path: Path, tmp_path: Path
) -> None:
    env = environment(tmp_path / "home", gguf_path)
    export_in(env, [sft_row(*FACTS[0]), sft_row(*FACTS[1])], held=[1])
    stale = adapters_dir(env.paths) / ".partial-lora-old"
    stale.mkdir(parents=True)
    (stale / ADAPTER_FILE).write_bytes(b"half an adapter")
    request = TrainRequest(options=LoraOptions(steps=3))

    steps: list[int] = []

    def stop_after_two() -> bool:
        return len(steps) >= 2

    def count(event: TrainProgress) -> None:
        if event.stage == "train" and event.step:
            steps.append(event.step)

    with pytest.raises(TrainingStopped):
        run_training(env, request, count, stop_after_two, base=base)
    assert not stale.exists()  # a killed run's leftovers go when the next run starts

    def interrupt_while_evaluating(event: TrainProgress) -> None:
        if event.stage == "evaluate":
            raise KeyboardInterrupt  # Ctrl+C after the adapter file was written

    with pytest.raises(KeyboardInterrupt):
        run_training(env, request, interrupt_while_evaluating, base=base)
    assert list_adapters(env.paths) == []
    assert not list(adapters_dir(env.paths).glob(".partial-*"))
    assert enabled_name(env.paths) is None


# -- a broken adapter and the adapters command -------------------------------------


def fake_adapter(env: Environment, name: str, gguf_path: Path, content: bytes) -> Path:
    folder = adapters_dir(env.paths) / name
    folder.mkdir(parents=True)
    (folder / ADAPTER_FILE).write_bytes(content)
    meta = {
        "name": name,
        "created_at": "2026-01-01T00:00:00+00:00",
        "base_model": {
            "name": "Gemma 3 270m",
            "sha256": model_sha256(gguf_path),
            "size": gguf_path.stat().st_size,
        },
        "evaluation": {"wins": False, "reasons": ["made up for a test"]},
        "source_message_ids": [f"{name}-msg"],
    }
    write_json(folder / META_FILE, meta)
    return folder


@pytest.fixture
def broken_adapter_env(home: Path, gguf_path: Path) -> Iterator[Environment]:
    env = environment(home, gguf_path)
    fake_adapter(env, "broken", gguf_path, b"GGUF\x03\x00\x00\x00 not really an adapter")
    enable(env.paths, "broken")
    yield env


def test_a_corrupt_adapter_falls_back_to_the_base_model(
    broken_adapter_env: Environment, caplog: pytest.LogCaptureFixture
) -> None:
    lines: list[str] = []
    backend = llama_loader(broken_adapter_env)(lines.append)
    assert isinstance(backend, ProcessBackend)
    try:
        assert backend.adapter_path is None
        assert "did not load" in backend.adapter_error
        assert any(line.startswith("Warning: the adapter") for line in lines)
        assert any("did not load" in r.getMessage() for r in caplog.records)
        assert status_label(backend) == "adapter failed, base model"
        params = GenerationParams(max_tokens=8, temperature=0.0)
        assert "".join(backend.stream(messages("Say hello."), params, lambda: False)).strip()
    finally:
        backend.close()


def test_cli_chat_works_with_a_corrupt_adapter(
    broken_adapter_env: Environment, home: Path, gguf_path: Path
) -> None:
    env = cli_environment(home, gguf_path) | {"ASSISTANT_LEARNING": "off"}
    result = run(["chat", "Say hello."], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "did not load" in (home / "data" / "assistant.log").read_text()


def test_adapters_list_enable_disable(home: Path, gguf_path: Path) -> None:
    env = environment(home, gguf_path)
    fake_adapter(env, "lora-a", gguf_path, b"x")
    fake_adapter(env, "lora-b", gguf_path, b"x")
    cli = cli_environment(home, gguf_path)
    listed = json.loads(run(["adapters", "list", "--json"], cli).stdout)
    assert [(a["name"], a["enabled"]) for a in listed] == [("lora-a", False), ("lora-b", False)]
    enabled = run(["adapters", "enable", "lora-b", "--json"], cli)
    assert json.loads(enabled.stdout) == {"enabled": "lora-b"}
    assert "did not beat the base model" in enabled.stderr
    listed = json.loads(run(["adapters", "list", "--json"], cli).stdout)
    assert [a["name"] for a in listed if a["enabled"]] == ["lora-b"]
    assert_clean_error(run(["adapters", "enable", "nope"], cli), "no adapter `nope`")
    disabled = json.loads(run(["adapters", "disable", "--json"], cli).stdout)
    assert disabled == {"enabled": None, "disabled": "lora-b"}
    assert enabled_name(env.paths) is None
    assert [a.name for a in trained_on(env.paths, ["x", "lora-b-msg"])] == ["lora-b"]
    assert run(["adapters", "remove", "lora-a", "--yes"], cli).returncode == 0
    assert [a.name for a in list_adapters(env.paths)] == ["lora-b"]


async def test_status_bar_names_the_adapter() -> None:
    from textual.app import App, ComposeResult

    from assistant.tui.widgets import StatusBar

    class Bar(App[None]):
        def compose(self) -> ComposeResult:
            yield StatusBar()

    async with Bar().run_test() as pilot:
        bar = pilot.app.query_one(StatusBar)
        bar.show("Gemma 3 270m · ready")
        bar.adapter = "adapter lora-1"
        await pilot.pause()
        assert str(bar.render()) == "adapter lora-1 · Gemma 3 270m · ready"
        bar.incognito = True
        await pilot.pause()
        assert str(bar.render()) == "incognito · adapter lora-1 · Gemma 3 270m · ready"
