"""Config: YAML + command-line overrides, and the messages for typos and bad values."""

import pytest

from finetune.config import load_config, parse_set
from tests.finetune.conftest import run_cli
from workbench.errors import UserError


def test_yaml_and_overrides(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("data: pairs.jsonl\nlr: 1e-4\nmethod: full\ntarget_modules: [q_proj, v_proj]\n")
    (tmp_path / "pairs.jsonl").write_text("")
    cfg = load_config(cfg_file, {"lr": "3e-4", "batch_size": "2", "packing": "true"})
    assert cfg.lr == 3e-4 and cfg.batch_size == 2 and cfg.packing is True and cfg.method == "full"
    assert cfg.target_modules == ["q_proj", "v_proj"]
    assert cfg.data == str(tmp_path / "pairs.jsonl")  # relative to the config file


def test_unknown_yaml_key_names_line_and_valid_keys(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("data: x.jsonl\nlearning_rate: 1e-4\n")
    with pytest.raises(UserError) as e:
        load_config(cfg_file)
    assert "learning_rate" in e.value.message and f"{cfg_file}:2" in e.value.message
    assert "valid keys:" in e.value.hint and "lr" in e.value.hint and "lora_r" in e.value.hint


def test_unknown_set_key_suggests_close_one():
    with pytest.raises(UserError) as e:
        load_config(None, {"data": "x", **parse_set(["lora_rr=8"])})
    assert "did you mean 'lora_r'" in e.value.hint


def test_bad_values():
    with pytest.raises(UserError, match="not a valid"):
        load_config(None, {"data": "x", "batch_size": "eight"})
    with pytest.raises(UserError, match="not one of"):
        load_config(None, {"data": "x", "method": "qlora"})
    with pytest.raises(UserError, match="no training data"):
        load_config(None, {})
    with pytest.raises(UserError, match="KEY=VALUE"):
        parse_set(["lr"])


def test_cli_exit_codes(tmp_path):
    (tmp_path / "c.yaml").write_text("data: x.jsonl\nepochz: 2\n")
    proc = run_cli("train", tmp_path / "c.yaml", check=False)
    assert proc.returncode == 2 and "unknown config key 'epochz'" in proc.stderr and "epochs" in proc.stderr
    proc = run_cli("train", "--data", "x.jsonl", "--lrr", "1", check=False)
    assert proc.returncode == 2 and "unrecognized arguments: --lrr" in proc.stderr
