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


BAD_VALUES = [
    ("lr", "-1.0e-4"),
    ("lr", "0"),
    ("lr", ".nan"),
    ("lr", ".inf"),
    ("epochs", "0"),
    ("epochs", "-1"),
    ("max_steps", "0"),
    ("batch_size", "0"),
    ("batch_size", "1.5"),
    ("batch_size", ".inf"),
    ("batch_size", "true"),
    ("grad_accum", "0"),
    ("max_length", "-8"),
    ("lora_r", "0"),
    ("lora_alpha", "0"),
    ("lora_dropout", "1.0"),
    ("lora_dropout", "-0.1"),
    ("warmup", "-1"),
    ("weight_decay", "-0.01"),
    ("max_grad_norm", "-1"),
    ("max_padding", "1.5"),
    ("eval_split", "1"),
    ("seed", "-1"),
    ("eval_every", "0"),
    ("early_stopping", "0"),
    ("save_every", "0"),
    ("keep_checkpoints", "0"),
    ("log_every", "0"),
]


@pytest.mark.parametrize("key,value", BAD_VALUES, ids=[f"{k}={v}" for k, v in BAD_VALUES])
def test_numbers_out_of_range_name_the_file_line_and_key(tmp_path, key, value):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text(f"data: x.jsonl\n{key}: {value}\n")
    with pytest.raises(UserError) as e:
        load_config(cfg_file)
    assert f"{cfg_file}:2" in e.value.message and repr(key) in e.value.message
    with pytest.raises(UserError) as e:  # the same value as an override names the command line
        load_config(None, {"data": "x", key: value.lstrip(".")})
    assert repr(key) in e.value.message


def test_every_numeric_key_has_a_range():
    from finetune.config import FIELDS, RANGES

    numeric = {k for k, f in FIELDS.items() if str(f.type).startswith(("int", "float"))}
    assert numeric == set(RANGES)


def test_edges_of_the_ranges_are_accepted(tmp_path):
    cfg = load_config(
        None, {"data": "x", "lora_dropout": "0", "warmup": "0", "eval_split": "0", "max_padding": "1", "seed": "0"}
    )
    assert (cfg.lora_dropout, cfg.warmup, cfg.eval_split, cfg.max_padding) == (0.0, 0.0, 0.0, 1.0)
    assert load_config(None, {"data": "x", "epochs": "0.5", "max_steps": "1e3"}).max_steps == 1000


@pytest.mark.parametrize("line", ["lr: -1.0e-4", "epochs: 0"])
def test_cli_refuses_a_bad_number_before_loading_the_model(tmp_path, line):
    """No model named `not/a-model` exists: reaching the model would fail differently; nothing is written."""
    (tmp_path / "c.yaml").write_text(f"model: not/a-model\ndata: pairs.jsonl\n{line}\nout: {tmp_path / 'out'}\n")
    proc = run_cli("train", tmp_path / "c.yaml", "--no-audit", check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and f"{tmp_path / 'c.yaml'}:3" in proc.stderr
    assert line.split(":")[0] in proc.stderr and "out of range" in proc.stderr
    assert not (tmp_path / "out").exists()
    proc = run_cli("train", "--data", "x.jsonl", "--model", "not/a-model", "--batch-size", "0", check=False)
    assert proc.returncode == 2 and "argument --batch-size: 0 is out of range: batch_size must be" in proc.stderr


# One bad value per numeric key, as a command-line option: refused while the arguments are parsed.
BAD_FLAGS = {k: v.lstrip(".") for k, v in reversed(BAD_VALUES)}


@pytest.mark.parametrize("key", sorted(BAD_FLAGS))
def test_every_numeric_option_is_checked_at_parse_time(key, capsys):
    from finetune.cli import main

    flag = "--" + key.replace("_", "-")
    with pytest.raises(SystemExit) as e:
        main(["train", "--data", "x.jsonl", "--model", "not/a-model", flag, BAD_FLAGS[key]])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"argument {flag}: " in err and key in err, err


def test_only_the_options_given_override_the_yaml(tmp_path):
    """`--max-steps none` unsets a YAML max_steps; options not given (bool ones included) leave the YAML alone."""
    from finetune.cli import config_from_args, parser

    (tmp_path / "c.yaml").write_text("data: x.jsonl\nmax_steps: 5\npacking: true\nlr: 1e-3\nout: ft\n")
    args = parser().parse_args(["train", str(tmp_path / "c.yaml"), "--max-steps", "none", "--lr", "2e-3"])
    cfg = config_from_args(args)
    assert (cfg.max_steps, cfg.packing, cfg.lr, cfg.audit) == (None, True, 2e-3, True)
    args = parser().parse_args(["train", str(tmp_path / "c.yaml"), "--no-packing", "--max-steps", "1e1"])
    assert (config_from_args(args).packing, config_from_args(args).max_steps) == (False, 10)
